namespace Hpf.Cluster.Runtime;

/// <summary>Marker for grain interfaces; a grain reference implements it as well as its grain interface.</summary>
public interface IGrain;
