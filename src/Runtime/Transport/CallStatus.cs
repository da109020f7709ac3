namespace Hpf.Cluster.Runtime.Transport;

/// <summary>First byte of a call response.</summary>
internal enum CallStatus : byte
{
    /// <summary>The grain returned; its result follows (nothing for Task and ValueTask).</summary>
    Completed = 0,

    /// <summary>The call failed: exception type, message and the silo where it ran follow.</summary>
    Failed = 1,

    /// <summary>The silo would not serve it (shutting down, or views disagree); the caller waits for a new view and retries.</summary>
    Unavailable = 2,
}
