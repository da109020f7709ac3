namespace Hpf.Cluster.Runtime;

/// <summary>
/// A grain call failed in the grain or on the way: names the grain, the method and the silo it ran on (or was
/// sent to), and carries the type and message of the exception thrown there. For calls served in process the
/// original exception is also the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class GrainCallException : Exception
{
    public GrainCallException(GrainId grainId, string methodName, string silo, string remoteExceptionType, string remoteMessage, Exception? innerException = null)
        : base($"{grainId.Type}.{methodName} on grain '{grainId.Key}' failed on silo {silo}: {remoteExceptionType}: {remoteMessage}", innerException)
    {
        GrainType = grainId.Type;
        GrainKey = grainId.Key;
        MethodName = methodName;
        Silo = silo;
        RemoteExceptionType = remoteExceptionType;
        RemoteMessage = remoteMessage;
    }

    public string GrainType { get; }

    public string GrainKey { get; }

    public string MethodName { get; }

    /// <summary>The silo the call ran on or failed to reach.</summary>
    public string Silo { get; }

    /// <summary>Full name of the exception type thrown where the call ran.</summary>
    public string RemoteExceptionType { get; }

    public string RemoteMessage { get; }
}
