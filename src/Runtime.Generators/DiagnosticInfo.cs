using Microsoft.CodeAnalysis;

namespace Hpf.Cluster.Runtime.Generators;

/// <summary>An error found in a grain interface, reported where the interface is declared.</summary>
internal sealed class DiagnosticInfo
{
    public DiagnosticInfo(string id, string message, Location? location)
    {
        Id = id;
        Message = message;
        Location = location;
    }

    public string Id { get; }
    public string Message { get; }
    public Location? Location { get; }

    public Diagnostic ToDiagnostic() => Diagnostic.Create(
        new DiagnosticDescriptor(Id, "Invalid grain interface", "{0}", "Hpf.Cluster.Runtime", DiagnosticSeverity.Error, isEnabledByDefault: true),
        Location,
        Message);
}
