using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Hpf.Cluster.Grains.Storage;

/// <summary>Registers <see cref="FileGrainStorage"/> with a silo.</summary>
public static class FileGrainStorageSiloBuilderExtensions
{
    /// <summary>
    /// Adds a file grain storage provider named <paramref name="name"/> (the name grains give in
    /// <c>[PersistentState(stateName, name)]</c>), configured as a named option so several providers can coexist.
    /// </summary>
    public static ISiloBuilder AddFileGrainStorage(this ISiloBuilder builder, string name, Action<FileGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddFileGrainStorage(name, configure);
        return builder;
    }

    /// <inheritdoc cref="AddFileGrainStorage(ISiloBuilder, string, Action{FileGrainStorageOptions})"/>
    public static IServiceCollection AddFileGrainStorage(this IServiceCollection services, string name, Action<FileGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<FileGrainStorageOptions>(name).Configure(configure);
        return services.AddGrainStorage(name, (sp, providerName) => new FileGrainStorage(
            providerName,
            sp.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(providerName),
            sp.GetRequiredService<IGrainStorageSerializer>(),
            sp.GetRequiredService<IActivatorProvider>()));
    }
}
