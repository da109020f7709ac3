namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>One line of the cluster's job list.</summary>
public sealed record JobListing(string Job, JobState State, DateTimeOffset Updated);
