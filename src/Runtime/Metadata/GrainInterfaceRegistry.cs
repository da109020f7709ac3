using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Hpf.Cluster.Runtime;

/// <summary>
/// Process-wide catalogue of grain interfaces and grain classes, filled by the module initializers the source
/// generator emits into every assembly that declares grains.
/// </summary>
public static class GrainInterfaceRegistry
{
    private static readonly ConcurrentDictionary<Type, GrainInterfaceDescriptor> ByType = new();
    private static readonly ConcurrentDictionary<string, GrainInterfaceDescriptor> ByName = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, GrainClassDescriptor> ClassByGrainType = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Assembly, bool> Scanned = new();

    /// <summary>Called by generated code.</summary>
    public static void Register(GrainInterfaceDescriptor descriptor)
    {
        ByType[descriptor.InterfaceType] = descriptor;
        ByName[descriptor.GrainType] = descriptor;
    }

    /// <summary>Called by generated code for every non-abstract class deriving from <see cref="Grain"/>.</summary>
    public static void RegisterGrainClass(Type grainClass)
    {
        var descriptor = new GrainClassDescriptor(grainClass);
        foreach (var grainInterface in grainClass.GetInterfaces())
        {
            if (IsGrainInterface(grainInterface))
            {
                ClassByGrainType[grainInterface.FullName!] = descriptor;
            }
        }
    }

    /// <summary>Makes the grains of <paramref name="assembly"/> known even if none of its code has run yet.</summary>
    public static void RegisterAssembly(Assembly assembly)
    {
        if (Scanned.TryAdd(assembly, true))
        {
            RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        }
    }

    internal static GrainInterfaceDescriptor GetInterface(Type interfaceType)
    {
        if (ByType.TryGetValue(interfaceType, out var descriptor))
        {
            return descriptor;
        }
        // typeof(T) alone need not run the declaring module's initializer.
        RegisterAssembly(interfaceType.Assembly);
        return ByType.TryGetValue(interfaceType, out descriptor)
            ? descriptor
            : throw new ArgumentException($"{interfaceType.FullName} is not a grain interface known to the runtime: mark it [GrainInterface] or derive it from IGrainWithStringKey, and reference Hpf.Cluster.Runtime.Generators as an analyzer in its project.");
    }

    internal static bool TryGetInterface(string grainType, out GrainInterfaceDescriptor descriptor)
    {
        if (ByName.TryGetValue(grainType, out descriptor!))
        {
            return true;
        }
        ScanLoadedAssemblies();
        return ByName.TryGetValue(grainType, out descriptor!);
    }

    internal static bool TryGetGrainClass(string grainType, out GrainClassDescriptor descriptor)
    {
        if (ClassByGrainType.TryGetValue(grainType, out descriptor!))
        {
            return true;
        }
        ScanLoadedAssemblies();
        return ClassByGrainType.TryGetValue(grainType, out descriptor!);
    }

    private static void ScanLoadedAssemblies()
    {
        var runtimeName = typeof(Grain).Assembly.GetName().Name;
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (!assembly.IsDynamic && assembly.GetReferencedAssemblies().Any(a => a.Name == runtimeName))
            {
                RegisterAssembly(assembly);
            }
        }
    }

    private static bool IsGrainInterface(Type type) =>
        type.IsInterface
        && type != typeof(IGrain) && type != typeof(IGrainWithStringKey)
        && (type.IsDefined(typeof(GrainInterfaceAttribute), inherit: false) || typeof(IGrainWithStringKey).IsAssignableFrom(type));
}
