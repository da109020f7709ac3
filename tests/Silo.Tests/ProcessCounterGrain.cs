using Hpf.Cluster.Runtime;

namespace Hpf.Cluster.Silo.Tests;

public sealed class ProcessCounterGrain : Grain, IProcessCounterGrain
{
    private int _value;

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        Storage.ReadAsync(async (stream, ct) =>
        {
            var bytes = new byte[4];
            await stream.ReadExactlyAsync(bytes, ct);
            _value = BitConverter.ToInt32(bytes);
        }, cancellationToken);

    public async Task<int> Add(int delta)
    {
        _value += delta;
        await Storage.WriteAsync((stream, ct) => stream.WriteAsync(BitConverter.GetBytes(_value), ct).AsTask(), CancellationToken.None);
        return _value;
    }

    Task<string> IProcessCounterGrain.Silo() => Task.FromResult(Silo.ToString());
}
