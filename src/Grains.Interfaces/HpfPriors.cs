namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>The Gamma hyperparameters of HPF (HPF-MATH.md, "Model"); defaults are hpfrec's and the paper's.</summary>
[GenerateSerializer, Immutable, Alias("hpf.HpfPriors")]
public sealed record HpfPriors(
    double A = 0.3,
    double APrime = 0.3,
    double BPrime = 1.0,
    double C = 0.3,
    double CPrime = 0.3,
    double DPrime = 1.0)
{
    public static HpfPriors Default { get; } = new();

    /// <summary>Throws with the parameter's name when a prior is not a finite positive number.</summary>
    public void Validate()
    {
        Require(A, "a"); Require(APrime, "a-prime"); Require(BPrime, "b-prime");
        Require(C, "c"); Require(CPrime, "c-prime"); Require(DPrime, "d-prime");
    }

    private static void Require(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"option '--{name}' must be a finite number > 0, got {value}");
    }
}
