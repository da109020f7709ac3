namespace Hpf.Cluster.Grains.Engine;

/// <summary>A finished training run: the model (never with a NaN or ∞ in it) and its report.</summary>
public sealed record TrainingResult(HpfModel Model, TrainingReport Report);
