namespace Hpf.Cluster.Silo;

/// <summary>A silo setting is missing or wrong: the message names it and how to set it (never its secret value).</summary>
public sealed class SiloConfigurationException(string message) : Exception(message);
