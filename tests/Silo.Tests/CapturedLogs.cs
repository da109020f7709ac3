using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>Every log line of an in-process silo, at every level, with exceptions: for asserting what never appears in them.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly List<string> _lines = [];

    public string Text
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>
    /// The log once it holds <paramref name="expected"/>, or the log as it is after <paramref name="timeout"/>: a silo
    /// logs what happened on a connection on its own threads, possibly after the other side has already given up.
    /// </summary>
    public async Task<string> TextOnceItHoldsAsync(string expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var text = Text;
            if (text.Contains(expected, StringComparison.Ordinal) || DateTime.UtcNow >= deadline) return text;
            await Task.Delay(50);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
        }
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Add($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
