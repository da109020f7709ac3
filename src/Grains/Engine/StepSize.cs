using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>Robbins–Monro step size ρ_t = (t + τ0)^(−κ), t counted from 1 so that ρ ≤ 1 for every τ0 ≥ 0.</summary>
internal readonly record struct StepSize(double Tau0, double Kappa)
{
    public static StepSize From(TrainingOptions options) => new(options.StepTau0, options.StepKappa);

    public double At(long t) => Math.Pow(t + Tau0, -Kappa);
}
