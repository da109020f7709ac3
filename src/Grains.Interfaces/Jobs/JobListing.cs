namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>One line of the cluster's job list.</summary>
[GenerateSerializer, Immutable, Alias("hpf.JobListing")]
public sealed record JobListing(string Job, JobState State, DateTimeOffset Updated);
