namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>
/// How well a model predicts a held-out test set (see <see cref="ModelEvaluator"/>).
/// </summary>
/// <param name="HeldOutLogLikelihood">Mean over scored test nonzeros of y log μ − μ − log y!, μ = E[θ_u]·E[β_i]; NaN when no test row could be scored.</param>
/// <param name="PrecisionAtK">Mean over evaluated users of hits / K.</param>
/// <param name="RecallAtK">Mean over evaluated users of hits / min(K, the user's test items).</param>
/// <param name="NdcgAtK">Mean over evaluated users of DCG / IDCG with binary relevance.</param>
/// <param name="K">The cut-off of the ranking.</param>
/// <param name="UsersEvaluated">Users with at least one scored test item; the ranking metrics are NaN when there are none.</param>
/// <param name="TestNonzeros">Test rows whose user and item the training set knows: the rows scored.</param>
/// <param name="SkippedUnknownUser">Test rows left out because the training set has no such user.</param>
/// <param name="SkippedUnknownItem">Test rows of a known user left out because the training set has no such item.</param>
public sealed record EvaluationReport(
    double HeldOutLogLikelihood,
    double PrecisionAtK,
    double RecallAtK,
    double NdcgAtK,
    int K,
    int UsersEvaluated,
    int TestNonzeros,
    int SkippedUnknownUser,
    int SkippedUnknownItem);
