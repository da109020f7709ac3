namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>The model has no such user (neither trained nor added).</summary>
[GenerateSerializer, Alias("hpf.UnknownUserException")]
public sealed class UnknownUserException(string job, string user) : Exception($"job '{job}' has no user '{user}'")
{
    [Id(0)]
    public string User { get; } = user;
}
