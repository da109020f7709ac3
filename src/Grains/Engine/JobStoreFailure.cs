namespace Hpf.Cluster.Grains.Engine;

/// <summary>Why a <see cref="JobStore"/> operation failed, so a caller can tell a typo from a damaged file.</summary>
public enum JobStoreFailure
{
    /// <summary>The job name is not one the store accepts as a directory name.</summary>
    InvalidName,
    /// <summary>No saved job has that name.</summary>
    NotFound,
    /// <summary>The job's files are unreadable, truncated, or from different saves.</summary>
    Damaged,
}
