using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hpf.Cluster.Runtime.Storage;

/// <summary>Registers the silo's <see cref="IGrainStateStore"/>.</summary>
public static class GrainStateStoreServiceCollectionExtensions
{
    /// <summary>The embedded default: one SQLite file under a data directory.</summary>
    public static IServiceCollection AddSqliteGrainStateStore(this IServiceCollection services, Action<SqliteGrainStateStoreOptions> configure)
    {
        services.AddOptions<SqliteGrainStateStoreOptions>().Configure(configure);
        services.TryAddSingleton<IGrainStateStore, SqliteGrainStateStore>();
        return services;
    }

    /// <summary>PostgreSQL, shared by the silos of several machines.</summary>
    public static IServiceCollection AddPostgresGrainStateStore(this IServiceCollection services, Action<PostgresGrainStateStoreOptions> configure)
    {
        services.AddOptions<PostgresGrainStateStoreOptions>().Configure(configure);
        services.TryAddSingleton<IGrainStateStore, PostgresGrainStateStore>();
        return services;
    }
}
