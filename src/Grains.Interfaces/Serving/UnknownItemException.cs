namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>The model has no such item.</summary>
public sealed class UnknownItemException(string job, string item) : Exception($"job '{job}' has no item '{item}'")
{
    public string Item { get; } = item;
}
