namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// The problem-details titles of the serving endpoints' refusals, one per cause, so that a client tells an unknown user
/// from an unknown item from an unknown job (all 404) by the title rather than by reading the message.
/// </summary>
public static class ServingProblems
{
    public const string JobNotFound = "Job not found";
    public const string UnknownUser = "Unknown user";
    public const string UnknownItem = "Unknown item";
    public const string UnknownGroup = "Unknown group";
    /// <summary>409: the job failed, was cancelled, is loading, or trains without a checkpoint yet (the <c>state</c> extension says which state).</summary>
    public const string ModelNotServable = "Model not servable";
    /// <summary>409: add-user of a user the model has, without <c>updateExisting</c>.</summary>
    public const string UserExists = "User exists";
    public const string BadRequest = "Bad request";

    /// <summary>The largest <c>n</c> or <c>k</c> a request may ask for: a ranking longer than this is not a recommendation.</summary>
    public const int MaxItems = 10_000;

    /// <summary>The most (user, item) pairs one predict request may carry.</summary>
    public const int MaxPairs = 100_000;
}
