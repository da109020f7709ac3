using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime;

/// <summary>
/// Base of the generated grain references: each grain interface method packs its arguments and hands them
/// here, and the runtime decides whether the call stays in process or crosses to another silo.
/// </summary>
public abstract class GrainReference : IGrain, IEquatable<GrainReference>
{
    private readonly GrainReferenceTarget _target;

    protected GrainReference(GrainReferenceTarget target) => _target = target;

    public GrainId GrainId => _target.GrainId;

    public SiloAddress? PlacementHint => _target.PlacementHint;

    internal GrainReferenceTarget Target => _target;

    protected Task<TResult> InvokeAsync<TResult>(int methodId, object?[] arguments, CancellationToken cancellationToken) =>
        InvokeCoreAsync<TResult>(methodId, arguments, cancellationToken);

    protected Task InvokeVoidAsync(int methodId, object?[] arguments, CancellationToken cancellationToken) =>
        _target.Invoker.InvokeAsync(_target, _target.Interface.Methods[methodId], arguments, cancellationToken);

    private async Task<TResult> InvokeCoreAsync<TResult>(int methodId, object?[] arguments, CancellationToken cancellationToken)
    {
        var result = await _target.Invoker.InvokeAsync(_target, _target.Interface.Methods[methodId], arguments, cancellationToken).ConfigureAwait(false);
        return (TResult)result!;
    }

    public bool Equals(GrainReference? other) => other is not null && other.GrainId == GrainId;

    public override bool Equals(object? obj) => obj is GrainReference other && Equals(other);

    public override int GetHashCode() => GrainId.GetHashCode();

    public override string ToString() => "GrainReference(" + GrainId + ")";
}
