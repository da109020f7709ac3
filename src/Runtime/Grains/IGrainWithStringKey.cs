namespace Hpf.Cluster.Runtime;

/// <summary>A grain addressed by a string key. Deriving from it marks an interface as a grain interface.</summary>
public interface IGrainWithStringKey : IGrain;
