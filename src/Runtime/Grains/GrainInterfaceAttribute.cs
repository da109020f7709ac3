namespace Hpf.Cluster.Runtime;

/// <summary>Marks an interface as a grain interface without deriving it from <see cref="IGrainWithStringKey"/>.</summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class GrainInterfaceAttribute : Attribute;
