namespace Hpf.Cluster.Silo.Api;

/// <summary>The API's log messages (ids 600–699). None carries a key, a secret or a connection string.</summary>
internal static partial class ClientApiLog
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Client API listening on {Address}")]
    public static partial void Listening(ILogger logger, Uri address);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Upload to job {Job} from {Source} refused: {Errors} bad line(s)")]
    public static partial void UploadRefused(ILogger logger, string job, string source, long errors);

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "{Method} {Path} failed with {Status}: {Message}")]
    public static partial void RequestFailed(ILogger logger, string method, string path, int status, string message);

    [LoggerMessage(EventId = 604, Level = LogLevel.Information, Message = "{Method} {Path} refused with {Status}: {Message}")]
    public static partial void RequestRefused(ILogger logger, string method, string path, int status, string message);
}
