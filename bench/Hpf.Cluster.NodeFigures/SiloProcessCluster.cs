using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;

namespace Hpf.Cluster.NodeFigures;

/// <summary>
/// Hpf.Silo processes on loopback, on the cluster profile (Azure Storage, a cluster id of their own) or, for one silo,
/// the local profile's files, driven through their HTTP APIs as a client drives them. Secrets go by environment. Each silo's output
/// lines are kept with the time they arrived, so figures can be read from the logs.
/// </summary>
internal sealed class SiloProcessCluster : IAsyncDisposable
{
    private static readonly string SiloDll = Path.GetFullPath(typeof(SiloProcessCluster).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HpfSiloDll").Value!);

    private readonly string? _storage;
    // A cluster id of its own per run: runs on one Azurite never see each other's silos.
    private readonly string _clusterId = "figures-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _directory;
    private readonly string _apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private readonly MembershipTiming _timing;
    private readonly Process[] _processes;
    private readonly List<(TimeSpan At, string Text)>[] _lines;
    private readonly HttpClient[] _api;
    private readonly bool[] _killed;

    private SiloProcessCluster(int silos, string? storage, MembershipTiming timing)
    {
        _storage = storage;
        _timing = timing;
        _directory = Path.Combine(Path.GetTempPath(), "hpf-figures-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _processes = new Process[silos];
        _lines = Enumerable.Range(0, silos).Select(_ => new List<(TimeSpan, string)>()).ToArray();
        _api = new HttpClient[silos];
        _killed = new bool[silos];
    }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public int Count => _processes.Length;

    public IEnumerable<int> Alive => Enumerable.Range(0, Count).Where(s => !_killed[s]);

    /// <param name="storage">An Azure Storage connection string; null runs one silo on the local profile's files in a temporary directory.</param>
    /// <param name="cores">
    /// Per silo, the processors it may run on (a taskset list, "0" or "0,1"); null lets every silo run anywhere. The
    /// runtime of a silo pinned to one core sizes its thread pool and collector for one core, as on a machine of its own.
    /// </param>
    public static async Task<SiloProcessCluster> StartAsync(int silos, string? storage, MembershipTiming timing, CancellationToken cancellationToken,
        IReadOnlyList<string>? cores = null)
    {
        var cluster = new SiloProcessCluster(silos, storage, timing);
        try
        {
            var taken = new HashSet<int>();
            for (var slot = 0; slot < silos; slot++) cluster.Start(slot, FreePort(taken), FreePort(taken), FreePort(taken), cores?[slot]);
            await cluster.WaitForViewAsync(silos, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private void Start(int slot, int siloPort, int gatewayPort, int apiPort, string? cores)
    {
        // taskset sets the affinity before the runtime starts, so every thread the silo makes inherits it.
        var start = new ProcessStartInfo(cores is null ? "dotnet" : "taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (cores is not null)
        {
            foreach (var argument in new[] { "-c", cores, "dotnet" }) start.ArgumentList.Add(argument);
        }
        foreach (var argument in new[]
        {
            "exec", SiloDll,
            $"--Cluster:ClusterId={_clusterId}",
            $"--Silo:Port={siloPort}", $"--Silo:GatewayPort={gatewayPort}", $"--Api:Port={apiPort}", $"--Silo:SiloName=silo-{slot}",
            $"--Watchdog:Interval={_timing.Watchdog:c}",
            "--Logging:Console:FormatterName=simple", "--Logging:Console:FormatterOptions:SingleLine=true",
        })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var argument in _timing.Arguments) start.ArgumentList.Add(argument);
        if (_storage is not null)
        {
            // Several silos: the cluster profile on the Azure Storage (Azurite) named by the caller, in the environment
            // since a connection string holds a key.
            start.ArgumentList.Add("--Profile=cluster");
            start.Environment["HPF_Storage__ConnectionString"] = _storage;
        }
        else
        {
            start.ArgumentList.Add("--Profile=local");
            start.ArgumentList.Add($"--Storage:DataDirectory={_directory}");
        }
        start.Environment["HPF_Api__ApiKey"] = _apiKey;
        var process = new Process { StartInfo = start };
        var lines = _lines[slot];
        DataReceivedEventHandler keep = (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add((Clock.Elapsed, e.Data));
        };
        process.OutputDataReceived += keep;
        process.ErrorDataReceived += keep;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[slot] = process;
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}/"), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add(ClientApiOptions.ApiKeyHeader, _apiKey);
        _api[slot] = client;
    }

    public IReadOnlyList<(TimeSpan At, string Text)> Lines(int slot)
    {
        var lines = _lines[slot];
        lock (lines) return [.. lines];
    }

    public void Kill(int slot)
    {
        _killed[slot] = true;
        _processes[slot].Kill(entireProcessTree: true);
    }

    public async Task WaitForViewAsync(int active, CancellationToken cancellationToken)
    {
        var deadline = Clock.Elapsed + TimeSpan.FromSeconds(90);
        while ((await Task.WhenAll(Alive.Select(InfoAsync))).Any(i => i?.ActiveSiloCount != active))
        {
            if (Clock.Elapsed > deadline || Alive.Any(s => _processes[s].HasExited))
                throw new InvalidOperationException("the silos did not come up:\n" + string.Join("\n", Enumerable.Range(0, Count).SelectMany(s => Lines(s).Select(l => l.Text))));
            await Task.Delay(100, cancellationToken);
        }
    }

    public async Task<ClusterInfo?> InfoAsync(int slot)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return await _api[slot].GetFromJsonAsync<ClusterInfo>("api/cluster", ClientApiJson.Options, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>Waits until no survivor's view lists <paramref name="gone"/>; the time after <paramref name="since"/> for the slowest.</summary>
    public async Task<TimeSpan> UntilEveryViewDropsAsync(string gone, TimeSpan since, CancellationToken cancellationToken)
    {
        var waiting = Alive.ToHashSet();
        var slowest = TimeSpan.Zero;
        while (waiting.Count > 0)
        {
            foreach (var slot in waiting.ToArray())
            {
                if (await InfoAsync(slot) is { } info && !info.ActiveSilos.Contains(gone))
                {
                    slowest = Clock.Elapsed - since;
                    waiting.Remove(slot);
                }
            }
            if (Clock.Elapsed - since > TimeSpan.FromMinutes(1)) throw new TimeoutException($"{gone} still in a view after a minute");
            await Task.Delay(20, cancellationToken);
        }
        return slowest;
    }

    public async Task SubmitAsync(string job, JobSpec spec, byte[] tsv, CancellationToken cancellationToken)
    {
        var api = _api[Alive.First()];
        using (var created = await api.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = job, Spec = spec, Replace = true }, ClientApiJson.Options, cancellationToken))
            await EnsureAsync(created, "create");
        using (var body = new ByteArrayContent(tsv))
        using (var uploaded = await api.PutAsync($"api/jobs/{job}/data?set=training&format=tsv&source={job}.tsv", body, cancellationToken))
            await EnsureAsync(uploaded, "upload");
        using var started = await api.PostAsync($"api/jobs/{job}/start", null, cancellationToken);
        await EnsureAsync(started, "start");
    }

    /// <summary>Polls the live silos in turn until <paramref name="until"/> holds or the job has finished.</summary>
    /// <param name="pollInterval">
    /// The pause between two asks; 10 ms when null, for figures the driver reads off its own clock (a failover's
    /// recovery). Each ask costs the silo that answers a request, so a figure of training speed polls as seldom as
    /// the console's progress display does.
    /// </param>
    public async Task<JobStatus> WaitForJobAsync(string job, Func<JobStatus, bool> until, CancellationToken cancellationToken, TimeSpan? pollInterval = null)
    {
        var pause = pollInterval ?? TimeSpan.FromMilliseconds(10);
        var turn = 0;
        while (true)
        {
            var alive = Alive.ToArray();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                using var response = await _api[alive[turn++ % alive.Length]].GetAsync($"api/jobs/{job}", timeout.Token);
                if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<JobStatus>(ClientApiJson.Options, timeout.Token) is { } status
                    && (until(status) || status.IsFinished))
                    return status;
            }
            catch (Exception e) when (e is HttpRequestException or IOException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // That silo cannot answer now (it is gone, or the coordinator is moving): ask the next.
            }
            await Task.Delay(pause, cancellationToken);
        }
    }

    public async Task<HpfModel> DownloadModelAsync(string job, TrainingOptions training, CancellationToken cancellationToken)
    {
        using var response = await _api[Alive.First()].GetAsync($"api/jobs/{job}/model", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureAsync(response, "model download");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await ModelDownloadFormat.ReadAsync(stream, training, cancellationToken);
    }

    /// <summary>The slot whose silo logged the job's creation (only the coordinator's silo does).</summary>
    public int CoordinatorOf(string job) =>
        Alive.First(s => Lines(s).Any(l => l.Text.Contains($"Job {job} created", StringComparison.Ordinal)));

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static int FreePort(HashSet<int> taken)
    {
        while (true)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            if (taken.Add(port)) return port;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Where(p => p is not null))
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }
            process.Dispose();
        }
        foreach (var client in _api.Where(c => c is not null)) client.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp path; a file a killed silo held.
        }
    }
}
