namespace Hpf.Cluster.Runtime.Transport;

/// <summary>What a frame on a silo link carries (see <see cref="LinkFrame"/>).</summary>
internal enum LinkFrameKind : byte
{
    /// <summary>Caller to silo, first on every connection: the cluster id and secret.</summary>
    Hello = 1,

    /// <summary>Silo to caller: the credentials are accepted; calls may follow.</summary>
    Welcome = 2,

    /// <summary>Silo to caller: the credentials are missing or wrong (one byte, a <see cref="CredentialCheck"/>); the silo closes.</summary>
    Refused = 3,

    /// <summary>Caller to silo: a call message, sent in segments.</summary>
    Call = 4,

    /// <summary>Silo to caller: the response message of the call with the same id, sent in segments.</summary>
    Result = 5,

    /// <summary>Caller to silo: the caller gave up on the call with this id; its token is cancelled.</summary>
    Cancel = 6,

    /// <summary>Silo to caller: the silo is stopping; calls already sent are answered, new ones go on a new connection.</summary>
    GoAway = 7,
}
