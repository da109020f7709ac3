namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>The model has no such user (neither trained nor added).</summary>
public sealed class UnknownUserException(string job, string user) : Exception($"job '{job}' has no user '{user}'")
{
    public string User { get; } = user;
}
