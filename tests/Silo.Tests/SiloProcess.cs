using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>One Hpf.Silo process started with <c>dotnet exec</c>; its output is kept for failure messages, and it is killed on dispose.</summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<SiloLogLine> _lines = [];
    private readonly Stopwatch _clock;

    private SiloProcess(Process process, int port, Stopwatch clock)
    {
        _process = process;
        Port = port;
        _clock = clock;
    }

    public int Port { get; }

    /// <summary>Every line the process wrote, stamped with when the test read it (on the clock given at start).</summary>
    public IReadOnlyList<SiloLogLine> Lines
    {
        get
        {
            lock (_output)
            {
                return [.. _lines];
            }
        }
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string SiloDll => typeof(SiloProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HpfSiloDll").Value!;

    /// <param name="environment">Variables for the process only: secrets go here, where <c>ps</c> does not show them.</param>
    /// <param name="clock">Stamps each output line as it arrives, so a test can time what it reads from the logs.</param>
    public static SiloProcess Start(int port, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, Stopwatch? clock = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.GetFullPath(SiloDll));
        start.ArgumentList.Add($"--Silo:Port={port}");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = new Process { StartInfo = start };
        var silo = new SiloProcess(process, port, clock ?? Stopwatch.StartNew());
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Freezes the process (SIGSTOP) without killing it: it stops heart-beating but keeps its sockets.</summary>
    public void Freeze() => Send(SigStop);

    /// <summary>Resumes a frozen process (SIGCONT).</summary>
    public void Resume() => Send(SigCont);

    /// <summary>Asks the process to stop (SIGTERM), as an orchestrator does: a graceful leave.</summary>
    public void Terminate() => Send(SigTerm);

    // Linux signal numbers; the process tests run on Linux (CI and the build machine).
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private void Send(int signal)
    {
        if (SysKill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    public async Task<bool> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
            _lines.Add(new SiloLogLine(_clock.Elapsed, line));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        _process.Dispose();
    }
}
