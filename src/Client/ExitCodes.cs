namespace Hpf.Cluster.Client;

/// <summary>The process exit codes of <c>hpf</c>, distinct per cause so that scripts can tell a typo from bad data.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Anything not covered below: a damaged saved job, an unexpected error.</summary>
    public const int Failure = 1;
    /// <summary>The command line is wrong: unknown option, value out of range, missing argument.</summary>
    public const int BadOption = 2;
    /// <summary>An input file is missing or has bad lines; nothing was trained or evaluated.</summary>
    public const int BadData = 3;
    /// <summary>Training hit NaN or ∞; no model was saved.</summary>
    public const int NumericFailure = 4;
    /// <summary>The user id is not in the job's model (neither trained nor added).</summary>
    public const int UnknownUser = 5;
    /// <summary>The item id is not in the job's model.</summary>
    public const int UnknownItem = 6;
    /// <summary>No saved job has the name given.</summary>
    public const int JobNotFound = 7;
    /// <summary>The cluster could not be reached (nothing listening, a broken connection, no answer in time).</summary>
    public const int ClusterUnreachable = 8;
    /// <summary>No longer used: the console calls grains, which need no API key. The number stays taken so that scripts do not misread it.</summary>
    public const int ApiKeyRefused = 9;
    /// <summary>The job failed on the cluster; its error is printed.</summary>
    public const int JobFailed = 10;
    /// <summary>The cluster's job has no model to serve yet or any more (training without a checkpoint, loading, failed, cancelled).</summary>
    public const int JobNotServable = 11;
    /// <summary>A file or directory could not be written or read: no permission, not a directory, a read-only or full disk. Checked before training where it can be.</summary>
    public const int IoFailure = 12;
    /// <summary>Ctrl+C, or the job was cancelled on the cluster: the conventional 128 + SIGINT.</summary>
    public const int Cancelled = 130;
}
