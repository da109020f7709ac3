namespace Hpf.Cluster.Client.Cluster;

/// <summary>Why a call to a silo's grains did not succeed, in the terms the console reports (and picks exit codes by).</summary>
internal enum ClusterFailure
{
    /// <summary>No gateway answered, contact was lost, or no answer in time.</summary>
    Unreachable,
    /// <summary>404 for a job.</summary>
    JobNotFound,
    /// <summary>404: the job's model has no such user.</summary>
    UnknownUser,
    /// <summary>404: the job's model has no such item.</summary>
    UnknownItem,
    /// <summary>409: the job has no model to serve (it failed, was cancelled, is loading, has no checkpoint yet, or is still training for what needs the finished model).</summary>
    ModelNotServable,
    /// <summary>409: add-user of a user the model has, without replacing them.</summary>
    UserExists,
    /// <summary>400 for an uploaded file with bad lines: <see cref="ClusterApiException.Errors"/> has them.</summary>
    BadData,
    /// <summary>400 for anything else (an option out of range, a bad name).</summary>
    BadRequest,
    /// <summary>409: the job is not in a state for this (it exists, it is training, it has not completed).</summary>
    Conflict,
    /// <summary>5xx, or an answer this client cannot read.</summary>
    ServerError,
}
