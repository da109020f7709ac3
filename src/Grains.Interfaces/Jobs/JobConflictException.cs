namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>The job exists but is not in a state that allows what was asked (creating it again, uploading to a job that trains, …).</summary>
[GenerateSerializer, Alias("hpf.JobConflictException")]
public sealed class JobConflictException(string message) : Exception(message);
