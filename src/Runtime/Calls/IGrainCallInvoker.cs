namespace Hpf.Cluster.Runtime;

/// <summary>Routes a call made through a grain reference to the grain's activation, in process or on another silo.</summary>
internal interface IGrainCallInvoker
{
    Task<object?> InvokeAsync(GrainReferenceTarget target, GrainMethodDescriptor method, object?[] arguments, CancellationToken cancellationToken);
}
