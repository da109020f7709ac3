namespace Hpf.Cluster.Client.Cluster;

/// <summary>A call to the cluster's API failed: the message says what happened (and never carries the API key).</summary>
internal sealed class ClusterApiException : Exception
{
    public ClusterApiException(ClusterFailure failure, string message, IReadOnlyList<string>? errors = null, long totalErrors = 0, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        Errors = errors ?? [];
        TotalErrors = totalErrors;
    }

    public ClusterFailure Failure { get; }

    /// <summary>For <see cref="ClusterFailure.BadData"/>: the file's first bad lines as <c>file:line: reason</c>.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>For <see cref="ClusterFailure.BadData"/>: how many bad lines there were in all.</summary>
    public long TotalErrors { get; }
}
