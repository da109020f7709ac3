namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>A message could not be decoded: truncated, garbled, or of a type the codec cannot handle.</summary>
public sealed class WireFormatException(string message) : Exception(message);
