namespace Hpf.Cluster.Runtime;

/// <summary>A grain interface as the source generator described it: its name on the wire, its reference factory and its methods.</summary>
public sealed class GrainInterfaceDescriptor
{
    public GrainInterfaceDescriptor(Type interfaceType, string grainType, Func<GrainReferenceTarget, GrainReference> createReference, GrainMethodDescriptor[] methods)
    {
        InterfaceType = interfaceType;
        GrainType = grainType;
        CreateReference = createReference;
        Methods = methods;
        for (var i = 0; i < methods.Length; i++)
        {
            if (methods[i].Id != i)
            {
                throw new ArgumentException($"Method {methods[i].Name} of {grainType} has id {methods[i].Id} at position {i}.", nameof(methods));
            }
        }
    }

    public Type InterfaceType { get; }

    /// <summary>The interface's full name, which identifies it between silos and in placement.</summary>
    public string GrainType { get; }

    public Func<GrainReferenceTarget, GrainReference> CreateReference { get; }

    /// <summary>Methods by id; the id is what a call message carries.</summary>
    public IReadOnlyList<GrainMethodDescriptor> Methods { get; }
}
