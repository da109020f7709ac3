namespace Hpf.Cluster.Runtime.Tests.Grains;

[Reentrant]
public sealed class ReentrantRendezvousGrain : Grain, IRendezvousGrain
{
    private readonly object _gate = new();
    private TaskCompletionSource<int> _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inside;

    public async Task<int> Meet(int parties)
    {
        Task<int> all;
        lock (_gate)
        {
            _inside++;
            all = _all.Task;
            if (_inside == parties)
            {
                _all.TrySetResult(_inside);
                _all = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                _inside = 0;
            }
        }
        return await all.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
