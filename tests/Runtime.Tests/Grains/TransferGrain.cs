namespace Hpf.Cluster.Runtime.Tests.Grains;

public sealed class TransferGrain : Grain, ITransferGrain
{
    private int _received;

    public Task<double> Receive(float[] values, CancellationToken cancellationToken)
    {
        _received++;
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += value;
        }
        return Task.FromResult(sum);
    }

    public Task<int> ReceivedCalls() => Task.FromResult(_received);

    public Task<float[]> Make(int count, float start)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = start + i;
        }
        return Task.FromResult(values);
    }

    public Task<float[]> MakeThrough(string key, int count) => GrainFactory.GetGrain<ITransferGrain>(key).Make(count, 0.5f);

    public ValueTask<Batch> EchoBatch(Batch batch) => ValueTask.FromResult(batch);

    public Task<List<double[]>> EchoList(List<double[]> arrays) => Task.FromResult(arrays);
}
