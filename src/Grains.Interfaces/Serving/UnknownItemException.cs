namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>The model has no such item.</summary>
[GenerateSerializer, Alias("hpf.UnknownItemException")]
public sealed class UnknownItemException(string job, string item) : Exception($"job '{job}' has no item '{item}'")
{
    [Id(0)]
    public string Item { get; } = item;
}
