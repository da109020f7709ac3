using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.CrossValidation;

/// <summary>One fold of a cross-validation: its number (from 1), what it trains on and what it is scored on.</summary>
internal sealed record CrossValidationFold(int Number, Dataset Train, Dataset Test);
