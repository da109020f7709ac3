namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>Large arrays in both directions, for the transport's streamed path.</summary>
public interface ITransferGrain : IGrainWithStringKey
{
    /// <summary>Counts the call and returns the sum of the values, so the test sees the grain got every byte.</summary>
    Task<double> Receive(float[] values, CancellationToken cancellationToken);

    Task<int> ReceivedCalls();

    /// <summary>A new array: value i is start + i.</summary>
    Task<float[]> Make(int count, float start);

    /// <summary>Asks the transfer grain <paramref name="key"/> for an array and returns it, so a silo reads a large response.</summary>
    Task<float[]> MakeThrough(string key, int count);

    ValueTask<Batch> EchoBatch(Batch batch);

    Task<List<double[]>> EchoList(List<double[]> arrays);
}
