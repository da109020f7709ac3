namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// The job has no model to serve: it failed, was cancelled, is still loading, or is training without a checkpoint
/// yet; or the request needs a finished model (fold-in, add-user) and the job is still training.
/// </summary>
[GenerateSerializer, Alias("hpf.ModelNotServableException")]
public sealed class ModelNotServableException(string job, JobState state, string message) : Exception(message)
{
    [Id(0)]
    public string Job { get; } = job;
    [Id(1)]
    public JobState State { get; } = state;
}
