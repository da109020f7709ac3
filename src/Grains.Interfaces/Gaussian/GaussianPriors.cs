namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// The conjugate hyperpriors of the Gaussian model (docs/maths.md, "Ratings"): each population variance and the noise
/// variance σ² get an inverse-Gamma(a₀, b₀) prior, each population mean of a factor N(0, s²/κ₀). They are weak: with
/// hundreds of rows a side the data decide; they keep a variance off zero when a side has few rows.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianPriors")]
public sealed record GaussianPriors
{
    public static GaussianPriors Default { get; } = new();

    /// <summary>Shape a₀ of the inverse-Gamma prior of every population variance; 1 by default.</summary>
    [Id(0)]
    public double VarianceShape { get; init; } = 1.0;

    /// <summary>Scale b₀ of the inverse-Gamma prior of every population variance; 0.1 by default.</summary>
    [Id(1)]
    public double VarianceScale { get; init; } = 0.1;

    /// <summary>κ₀: the population mean of a factor is N(0, s²/κ₀) a priori; 1 by default.</summary>
    [Id(2)]
    public double MeanPseudoRows { get; init; } = 1.0;

    /// <summary>Shape of the inverse-Gamma prior of the noise variance σ²; 1 by default.</summary>
    [Id(3)]
    public double NoiseShape { get; init; } = 1.0;

    /// <summary>Scale of the inverse-Gamma prior of the noise variance σ²; 1 by default.</summary>
    [Id(4)]
    public double NoiseScale { get; init; } = 1.0;

    /// <summary>Throws ArgumentOutOfRangeException naming the value when one is not a finite positive number.</summary>
    public void Validate()
    {
        Check(VarianceShape, "gaussian variance shape");
        Check(VarianceScale, "gaussian variance scale");
        Check(MeanPseudoRows, "gaussian mean pseudo-rows");
        Check(NoiseShape, "gaussian noise shape");
        Check(NoiseScale, "gaussian noise scale");
    }

    private static void Check(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0) throw new ArgumentOutOfRangeException(name, value, $"the {name} must be a finite number > 0, got {value}");
    }
}
