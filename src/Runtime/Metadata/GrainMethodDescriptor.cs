namespace Hpf.Cluster.Runtime;

/// <summary>
/// One grain method: its id within its interface, the types of the arguments that travel (cancellation tokens
/// excluded), the result type (<c>typeof(void)</c> for Task and ValueTask) and a generated invoker that calls
/// it on a grain instance without reflection.
/// </summary>
public sealed class GrainMethodDescriptor
{
    public GrainMethodDescriptor(int id, string name, Type[] parameterTypes, Type resultType, bool isReentrant, Func<object, object?[], CancellationToken, Task<object?>> invoke)
    {
        Id = id;
        Name = name;
        ParameterTypes = parameterTypes;
        ResultType = resultType;
        IsReentrant = isReentrant;
        Invoke = invoke;
    }

    public int Id { get; }

    public string Name { get; }

    public IReadOnlyList<Type> ParameterTypes { get; }

    public Type ResultType { get; }

    /// <summary>Marked <see cref="ReentrantAttribute"/> on the interface: interleaves with other calls.</summary>
    public bool IsReentrant { get; }

    public Func<object, object?[], CancellationToken, Task<object?>> Invoke { get; }
}
