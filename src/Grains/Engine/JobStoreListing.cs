namespace Hpf.Cluster.Grains.Engine;

/// <summary>The saved jobs of a store, by name, and the job directories whose model.json could not be read.</summary>
public sealed record JobStoreListing(IReadOnlyList<JobStoreEntry> Jobs, IReadOnlyList<string> Unreadable);
