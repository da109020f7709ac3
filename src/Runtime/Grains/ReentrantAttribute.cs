namespace Hpf.Cluster.Runtime;

/// <summary>
/// On a grain class: every call to its activations may interleave with the others at their awaits.
/// On a grain interface method: calls of that method interleave with anything else running.
/// Without it an activation runs one call at a time, in arrival order.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true)]
public sealed class ReentrantAttribute : Attribute;
