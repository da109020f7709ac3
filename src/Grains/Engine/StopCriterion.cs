using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>hpfrec's stopping rules on a checked value (HPF-MATH.md, "Objectives").</summary>
internal sealed class StopCriterion
{
    private readonly StopRule _rule;
    private readonly double _threshold;
    private double? _previous;

    public StopCriterion(StopRule rule, double threshold)
    {
        _rule = rule;
        _threshold = threshold;
    }

    /// <summary>
    /// Takes the value checked at this iteration (a log-likelihood for train-llk and val-llk, a diffnorm
    /// for diffnorm) and says whether to stop. A log-likelihood is ≤ 0, so 1 − now/before is the relative
    /// gain; a drop makes it negative, which stops as well.
    /// </summary>
    public bool ShouldStop(double value, out string reason)
    {
        reason = "";
        switch (_rule)
        {
            case StopRule.TrainLlk or StopRule.ValLlk:
                var previous = _previous;
                _previous = value;
                if (previous is not { } before) return false;
                var gain = 1 - value / before;
                if (gain > _threshold) return false;
                var name = _rule == StopRule.TrainLlk ? "training" : "validation";
                reason = gain < 0
                    ? $"{name} log-likelihood decreased ({before:G6} → {value:G6})"
                    : $"{name} log-likelihood relative gain {gain:G3} ≤ {_threshold:G3}";
                return true;
            case StopRule.DiffNorm:
                if (value >= _threshold) return false;
                reason = $"diffnorm of E[θ] {value:G3} < {_threshold:G3}";
                return true;
            default:
                return false;
        }
    }
}
