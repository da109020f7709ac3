using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Runtime;

/// <summary>A grain implementation class: how to construct it (with services injected) and whether it is reentrant.</summary>
internal sealed class GrainClassDescriptor
{
    private readonly ObjectFactory _factory;

    public GrainClassDescriptor(Type classType)
    {
        ClassType = classType;
        IsReentrant = classType.GetCustomAttribute<ReentrantAttribute>(inherit: true) is not null;
        // Built once per class, so an activation costs one delegate call rather than a constructor lookup.
        _factory = ActivatorUtilities.CreateFactory(classType, Type.EmptyTypes);
    }

    public Type ClassType { get; }

    public bool IsReentrant { get; }

    public Grain Create(IServiceProvider services) => (Grain)_factory(services, null);
}
