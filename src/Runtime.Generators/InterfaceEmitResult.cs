using System.Collections.Generic;
using System.Linq;

namespace Hpf.Cluster.Runtime.Generators;

/// <summary>The generated source of one grain interface, or the reasons it could not be generated.</summary>
internal sealed class InterfaceEmitResult
{
    public InterfaceEmitResult(string metadataName, string? source, string descriptorExpression, IReadOnlyList<DiagnosticInfo> diagnostics)
    {
        MetadataName = metadataName;
        Source = source;
        DescriptorExpression = descriptorExpression;
        Diagnostics = diagnostics;
    }

    public string MetadataName { get; }
    public string? Source { get; }
    public string DescriptorExpression { get; }
    public IReadOnlyList<DiagnosticInfo> Diagnostics { get; }
    public string HintName => MetadataName.Replace('+', '_') + ".GrainReference.g.cs";

    // Equality by content lets the incremental pipeline skip regenerating unchanged interfaces.
    public override bool Equals(object? obj) =>
        obj is InterfaceEmitResult other && other.MetadataName == MetadataName && other.Source == Source
        && other.Diagnostics.Select(d => d.Message).SequenceEqual(Diagnostics.Select(d => d.Message));

    public override int GetHashCode() => (MetadataName.GetHashCode() * 31) ^ (Source?.GetHashCode() ?? 0);
}
