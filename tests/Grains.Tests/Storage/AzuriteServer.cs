using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>
/// An Azurite process on free loopback ports with its data in a temporary directory, for the Azure tests: started
/// from the repository's pinned install (deploy/azurite), killed on dispose. A missing install fails the tests
/// rather than skipping them, so a machine without it cannot pass them by accident.
/// </summary>
public sealed class AzuriteServer : IAsyncLifetime
{
    public const string NotInstalled = "Azurite is not installed: run `npm ci --prefix deploy/azurite` in the repository";

    // Azurite's well-known development account: not a secret.
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _repositoryRoot;
    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _location;

    public AzuriteServer()
        : this(FindRepositoryRoot())
    {
    }

    /// <summary>Azurite as installed under <paramref name="repositoryRoot"/>.</summary>
    internal AzuriteServer(string repositoryRoot) => _repositoryRoot = repositoryRoot;

    /// <summary>The connection string of the running Azurite; empty until it has started.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var executable = Path.Combine(_repositoryRoot, "deploy", "azurite", "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");
        if (!File.Exists(executable))
            throw new InvalidOperationException(NotInstalled);

        var (blob, table, queue) = (LoopbackPorts.Next(), LoopbackPorts.Next(), LoopbackPorts.Next());
        _location = Directory.CreateTempSubdirectory("hpf-azurite-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["--silent", "--location", _location,
                     "--blobHost", "127.0.0.1", "--tableHost", "127.0.0.1", "--queueHost", "127.0.0.1",
                     "--blobPort", $"{blob}", "--tablePort", $"{table}", "--queuePort", $"{queue}"])
            start.ArgumentList.Add(argument);
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        // Kept for the failure message: Azurite says why it did not come up (a port taken, a Node.js too old).
        _process.OutputDataReceived += (_, line) => { lock (_output) _output.AppendLine(line.Data); };
        _process.ErrorDataReceived += (_, line) => { lock (_output) _output.AppendLine(line.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitUntilListeningAsync(blob);
        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            + $"AccountKey={AccountKey};"
            + $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;"
            + $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;"
            + $"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;";
    }

    public async Task DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                // The .bin entry may be a shell wrapper around node: the whole tree goes.
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
        if (_location is not null && Directory.Exists(_location))
            Directory.Delete(_location, recursive: true);
    }

    private async Task WaitUntilListeningAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening on port {port}:\n{Output()}");
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (SocketException) when (deadline.Elapsed < StartTimeout)
            {
                await Task.Delay(100);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"Azurite did not listen on port {port} within {StartTimeout.TotalSeconds:0} s:\n{Output()}", e);
            }
        }
    }

    private string Output()
    {
        lock (_output) return _output.ToString();
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Hpf.Cluster.sln")))
                return directory.FullName;
        throw new InvalidOperationException($"No Hpf.Cluster.sln above {AppContext.BaseDirectory}: the tests must run from a build inside the repository.");
    }
}
