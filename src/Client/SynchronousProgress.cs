namespace Hpf.Cluster.Client;

/// <summary>
/// Calls back on the reporting thread. <see cref="Progress{T}"/> posts to the thread pool instead, so its
/// reports could arrive out of order or after the summary that follows training.
/// </summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
