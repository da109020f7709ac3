using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Runtime.Tests.Membership;

/// <summary>Keeps every log entry written to it, so tests can check which events were logged and what they said.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly List<(EventId Id, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(EventId Id, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries) return _entries.ToArray();
        }
    }

    public bool Logged(int eventId) => Entries.Any(entry => entry.Id.Id == eventId);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((eventId, logLevel, formatter(state, exception)));
    }
}
