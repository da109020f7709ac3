using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// hpfrec's stopping rules on a checked value (HPF-MATH.md, "Objectives"). Under SVI the log-likelihood rules measure
/// the gain against the best value so far and stop only at the second quiet check in a row: an epoch's batches leave
/// the log-likelihood noisy, and one check that happens to fall (or barely rise) is not convergence.
/// </summary>
internal sealed class StopCriterion
{
    /// <summary>Quiet checks in a row (gain at most the threshold) that stop a stochastic schedule.</summary>
    private const int StochasticPatience = 2;

    private readonly StopRule _rule;
    private readonly double _threshold;
    private readonly bool _stochastic;
    private double? _previous;
    private int _quietChecks;

    public StopCriterion(StopRule rule, double threshold, bool stochastic = false)
    {
        _rule = rule;
        _threshold = threshold;
        _stochastic = stochastic;
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
            case StopRule.TrainLlk or StopRule.ValLlk when _stochastic:
                return ShouldStopStochastic(value, out reason);
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

    /// <summary>
    /// The SVI form: gain = 1 − now/best so far (a fall counts as no gain); stop at the second quiet check in a row.
    /// _previous holds the best value.
    /// </summary>
    private bool ShouldStopStochastic(double value, out string reason)
    {
        reason = "";
        if (_previous is not { } best)
        {
            _previous = value;
            return false;
        }
        var gain = 1 - value / best;
        if (value > best) _previous = value;
        if (gain > _threshold)
        {
            _quietChecks = 0;
            return false;
        }
        if (++_quietChecks < StochasticPatience) return false;
        var name = _rule == StopRule.TrainLlk ? "training" : "validation";
        reason = $"{name} log-likelihood gained at most {_threshold:G3} (relative) on the best so far at {StochasticPatience} checks in a row";
        return true;
    }
}
