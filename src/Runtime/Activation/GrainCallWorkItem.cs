namespace Hpf.Cluster.Runtime.Activation;

/// <summary>A call waiting in (or bypassing) an activation's queue, and the task its caller awaits.</summary>
internal sealed class GrainCallWorkItem(GrainMethodDescriptor method, object?[] arguments, CancellationToken cancellationToken)
{
    public GrainMethodDescriptor Method { get; } = method;

    public object?[] Arguments { get; } = arguments;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    // Continuations run off the activation's pump so a caller's code never delays the next queued call.
    public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
