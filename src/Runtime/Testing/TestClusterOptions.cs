using Hpf.Cluster.Runtime.Activation;
using Hpf.Cluster.Runtime.Membership;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Runtime.Testing;

/// <summary>How a <see cref="TestCluster"/> builds its silos.</summary>
public sealed class TestClusterOptions
{
    public string ClusterId { get; set; } = "test";

    /// <summary>Secret shared by the silos; a fresh random one per cluster by default.</summary>
    public string ClusterSecret { get; set; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>PKCS#12 certificate for TLS between the silos (and the client); empty means cleartext.</summary>
    public string CertificatePath { get; set; } = "";

    public string CertificatePassword { get; set; } = "";

    public Action<GrainCollectionOptions>? ConfigureCollection { get; set; }

    /// <summary>Extra services for every silo (storage providers, grain dependencies).</summary>
    public Action<IServiceCollection, LocalSilo>? ConfigureServices { get; set; }

    /// <summary>
    /// A membership table shared by the silos, each running the real <see cref="MembershipAgent"/> over it (the
    /// client reads it with a <see cref="Hosting.MembershipTableView"/>). Null means the cluster's
    /// <see cref="TestMembershipBoard"/>, which the test and the cluster change directly.
    /// </summary>
    public IMembershipTable? MembershipTable { get; set; }

    /// <summary>Timing of the membership protocol when <see cref="MembershipTable"/> is set.</summary>
    public Action<MembershipOptions>? ConfigureMembershipProtocol { get; set; }

    /// <summary>Where silo logs go, every level; none by default.</summary>
    public ILoggerProvider? LoggerProvider { get; set; }
}
