using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>Registers a membership table and the agent that runs the protocol over it.</summary>
public static class MembershipServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MembershipAgent"/> as the silo's <see cref="IClusterMembershipView"/> and as a hosted
    /// service (it joins on start and leaves gracefully on stop). Needs a <see cref="LocalSilo"/> and an
    /// <see cref="IMembershipTable"/>. Register it after the service that starts the silo's listener, since
    /// hosted services start in registration order and others may call the silo as soon as it is Active.
    /// </summary>
    public static IServiceCollection AddMembershipAgent(this IServiceCollection services, Action<MembershipOptions>? configure = null)
    {
        var options = services.AddOptions<MembershipOptions>();
        if (configure is not null) options.Configure(configure);
        services.TryAddSingleton<MembershipAgent>();
        services.TryAddSingleton<IClusterMembershipView>(provider => provider.GetRequiredService<MembershipAgent>());
        services.AddHostedService(provider => provider.GetRequiredService<MembershipAgent>());
        return services;
    }

    /// <summary>Registers the SQLite membership table: silos of one machine sharing one file.</summary>
    public static IServiceCollection AddSqliteMembershipTable(this IServiceCollection services, Action<SqliteMembershipTableOptions> configure)
    {
        services.AddOptions<SqliteMembershipTableOptions>().Configure(configure);
        services.TryAddSingleton<IMembershipTable, SqliteMembershipTable>();
        return services;
    }

    /// <summary>Registers the PostgreSQL membership table: silos on several machines.</summary>
    public static IServiceCollection AddPostgresMembershipTable(this IServiceCollection services, Action<PostgresMembershipTableOptions> configure)
    {
        services.AddOptions<PostgresMembershipTableOptions>().Configure(configure);
        services.TryAddSingleton<IMembershipTable, PostgresMembershipTable>();
        return services;
    }
}
