namespace Hpf.Cluster.Runtime.Tests.Grains;

public sealed class TurnGrain : Grain, ITurnGrain
{
    private readonly Dictionary<int, List<int>> _served = [];
    private int _inside;
    private int _maxInside;
    private int _arrivals;

    public async Task<int> Step(int caller, int sequence)
    {
        var inside = Interlocked.Increment(ref _inside);
        _maxInside = Math.Max(_maxInside, inside);
        var arrival = ++_arrivals;
        if (!_served.TryGetValue(caller, out var list))
        {
            _served[caller] = list = [];
        }
        list.Add(sequence);
        // Awaiting hands the thread back: another call would run here if the runtime let it.
        await Task.Delay(1);
        await Task.Yield();
        Interlocked.Decrement(ref _inside);
        return arrival;
    }

    public Task<int> MaxConcurrency() => Task.FromResult(_maxInside);

    public Task<List<int>> Served(int caller) => Task.FromResult(_served.TryGetValue(caller, out var list) ? list : []);

    public Task<int> Peek() => Task.FromResult(Volatile.Read(ref _inside));
}
