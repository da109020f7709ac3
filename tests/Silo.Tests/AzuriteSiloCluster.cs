using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Silo.Api;
using Hpf.Cluster.Silo.Pages;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// Real Hpf.Silo processes on loopback in the cluster profile, sharing membership (Azure Table) and grain state and
/// checkpoints (Azure Blob) in an Azurite of their own, driven as a client drives them: through each silo's HTTP API.
/// Each silo keeps its three ports for the life of the cluster, so a restarted silo comes back where it was (as a pod
/// of a StatefulSet does). The API key and the connection string go in the processes' environment, never on their
/// command lines.
/// </summary>
internal sealed class AzuriteSiloCluster : IAsyncDisposable
{
    // The failure detection the tests run with, explicit so they are fast and stable on CI's 2 cores: a probe every
    // second and a silo missing two of them suspected, two votes to declare it dead. The I-am-alive row is written
    // every 2 s, so the rows of a cluster killed outright go stale quickly and a restarted cluster does not wait on them.
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan WatchdogInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan RequestLimit = TimeSpan.FromSeconds(15);

    private readonly AzuriteServer _azurite;
    private readonly string _apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private readonly string _clusterId = "pt-" + Guid.NewGuid().ToString("N")[..8];
    private readonly (int Silo, int Gateway, int Api)[] _ports;
    private readonly SiloProcess?[] _current;
    private readonly bool[] _meantToRun;
    private readonly List<(int Slot, SiloProcess Process)> _all = [];
    private readonly HttpClient[] _api;

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string[] _arguments;

    private AzuriteSiloCluster(AzuriteServer azurite, int silos, IReadOnlyDictionary<string, string>? environment, string[]? arguments)
    {
        _azurite = azurite;
        _environment = environment ?? new Dictionary<string, string>();
        _arguments = arguments ?? [];
        _ports = Enumerable.Range(0, silos).Select(_ => (LoopbackPorts.Next(), LoopbackPorts.Next(), LoopbackPorts.Next())).ToArray();
        _current = new SiloProcess?[silos];
        _meantToRun = new bool[silos];
        _api = _ports.Select(p =>
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{p.Api}/"), Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.Add(ClientApiOptions.ApiKeyHeader, _apiKey);
            return client;
        }).ToArray();
    }

    /// <summary>One clock for every silo's log lines and the test's own timings.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public int Count => _ports.Length;

    public SiloProcess this[int slot] => _current[slot] ?? throw new InvalidOperationException($"silo {slot} is not running");

    /// <summary>The slots whose process runs and was not stopped by the test.</summary>
    public IEnumerable<int> Running => Enumerable.Range(0, Count).Where(s => _meantToRun[s] && _current[s] is { HasExited: false });

    /// <summary>SIGKILL: the silo is gone without a word to anyone.</summary>
    public void Kill(int slot)
    {
        _meantToRun[slot] = false;
        this[slot].Kill();
    }

    /// <summary>SIGTERM: the silo leaves gracefully.</summary>
    public void Terminate(int slot)
    {
        _meantToRun[slot] = false;
        this[slot].Terminate();
    }

    /// <summary>Starts an Azurite, a cluster of <paramref name="silos"/> on it, and waits until every silo sees all of them.</summary>
    /// <param name="spareSlots">Slots with ports of their own that are not started, for a test to start later.</param>
    /// <param name="environment">Settings every silo gets in its environment besides the cluster's own (secrets go here).</param>
    /// <param name="arguments">Settings on every silo's command line after the cluster's own, which they override.</param>
    public static async Task<AzuriteSiloCluster> StartAsync(int silos, int spareSlots = 0, IReadOnlyDictionary<string, string>? environment = null, string[]? arguments = null)
    {
        // Fails (never skips) when Azurite is not installed: a machine without it must not pass these tests.
        var azurite = new AzuriteServer();
        try
        {
            await azurite.InitializeAsync();
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
        var cluster = new AzuriteSiloCluster(azurite, silos + spareSlots, environment, arguments);
        try
        {
            for (var slot = 0; slot < silos; slot++) cluster.StartSilo(slot);
            await cluster.WaitForViewAsync(silos, TimeSpan.FromSeconds(90));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the silo of a slot (again, after it was killed or stopped), on the slot's ports.</summary>
    /// <param name="environment">Replaces the cluster's settings of the same names for this silo alone.</param>
    public SiloProcess StartSilo(int slot, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (_current[slot] is { HasExited: false }) throw new InvalidOperationException($"silo {slot} still runs");
        var (siloPort, gatewayPort, apiPort) = _ports[slot];
        var variables = new Dictionary<string, string>
        {
            ["HPF_Profile"] = SiloProfile.Cluster,
            // A cluster id of its own, so nothing of another test's cluster is ever in its membership.
            ["HPF_Cluster__ClusterId"] = _clusterId,
            ["HPF_Api__ApiKey"] = _apiKey,
            ["HPF_Storage__ConnectionString"] = _azurite.ConnectionString,
        };
        foreach (var (name, value) in _environment) variables[name] = value;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) variables[name] = value;
        var process = SiloProcess.Start(siloPort,
        [
            $"--Silo:GatewayPort={gatewayPort}",
            $"--Silo:SiloName=silo-{slot}",
            $"--Api:Port={apiPort}",
            $"--Membership:ProbeTimeout={ProbeTimeout:c}",
            "--Membership:NumMissedProbesLimit=2",
            "--Membership:NumVotesForDeathDeclaration=2",
            $"--Membership:IAmAliveTablePublishTimeout={IAmAliveTablePublishTimeout:c}",
            "--Membership:TableRefreshTimeout=00:00:02",
            $"--Watchdog:Interval={WatchdogInterval:c}",
            // One line per event, stamped, so a test reads the coordinator's rollbacks from the logs.
            "--Logging:Console:FormatterName=simple",
            "--Logging:Console:FormatterOptions:SingleLine=true",
            "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ",
            .. _arguments,
        ], variables, Clock);
        _current[slot] = process;
        _meantToRun[slot] = true;
        _all.Add((slot, process));
        return process;
    }

    /// <summary>Waits until every running silo's API answers and its view holds exactly <paramref name="active"/> silos.</summary>
    public async Task WaitForViewAsync(int active, TimeSpan limit)
    {
        var deadline = Clock.Elapsed + limit;
        while (true)
        {
            var views = await Task.WhenAll(Running.Select(ClusterInfoAsync));
            if (views.All(v => v?.ActiveSiloCount == active)) return;
            foreach (var slot in Enumerable.Range(0, Count).Where(s => _meantToRun[s] && _current[s]!.HasExited))
                Assert.Fail($"silo {slot} exited with {_current[slot]!.ExitCode} while the cluster was starting:\n{Logs()}");
            if (Clock.Elapsed > deadline) Assert.Fail($"the silos did not all see {active} active silos within {limit.TotalSeconds} s:\n{Logs()}");
            await Task.Delay(100);
        }
    }

    /// <summary>The silo's own address and view, or null when it does not answer.</summary>
    public async Task<ClusterInfo?> ClusterInfoAsync(int slot)
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

    /// <summary>
    /// A running silo other than <paramref name="coordinator"/>'s that holds shards of the job, as the job's shard list
    /// says (shard n runs on the n-th silo placement saw when it first activated, so not every silo need hold one).
    /// </summary>
    public async Task<(int Slot, string Address)> ShardSiloAsync(string job, int coordinator)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var shards = (await _api[coordinator].GetFromJsonAsync<ShardLocation[]>($"api/jobs/{job}/shards", ClientApiJson.Options, timeout.Token))!;
        foreach (var slot in Running.Where(s => s != coordinator))
        {
            var address = (await ClusterInfoAsync(slot))!.Silo;
            if (shards.Any(s => s.Silo == address)) return (slot, address);
        }
        throw new InvalidOperationException($"no silo but the coordinator's holds a shard of {job}: {string.Join(", ", shards.Select(s => $"{s.Shard}@{s.Silo}"))}");
    }

    /// <summary>
    /// Polls the given silos' views until none lists <paramref name="gone"/>; returns how long that took after
    /// <paramref name="since"/> (on <see cref="Clock"/>) for the slowest of them.
    /// </summary>
    public async Task<TimeSpan> WaitUntilEveryViewDropsAsync(string gone, IReadOnlyList<int> survivors, TimeSpan since, TimeSpan limit)
    {
        var dropped = new TimeSpan?[survivors.Count];
        while (dropped.Any(d => d is null))
        {
            for (var i = 0; i < survivors.Count; i++)
            {
                if (dropped[i] is not null) continue;
                var info = await ClusterInfoAsync(survivors[i]);
                if (info is not null && !info.ActiveSilos.Contains(gone)) dropped[i] = Clock.Elapsed - since;
            }
            if (Clock.Elapsed - since > limit) Assert.Fail($"the views still listed {gone} {limit.TotalSeconds} s later:\n{Logs()}");
            await Task.Delay(25);
        }
        return dropped.Max(d => d!.Value);
    }

    /// <summary>Creates the job, uploads the TSV as its training data and starts it, all through one silo's API.</summary>
    public async Task SubmitAsync(int slot, string job, JobSpec spec, byte[] tsv)
    {
        var api = _api[slot];
        using var created = await api.PostAsJsonAsync("api/jobs", new CreateJobRequest { Name = job, Spec = spec }, ClientApiJson.Options);
        await ExpectAsync(created, HttpStatusCode.Created, "create");
        using var body = new ByteArrayContent(tsv);
        using var uploaded = await api.PutAsync($"api/jobs/{job}/data?set=training&format=tsv&source={job}.tsv", body);
        await ExpectAsync(uploaded, HttpStatusCode.OK, "upload");
        using var started = await api.PostAsync($"api/jobs/{job}/start", null);
        await ExpectAsync(started, HttpStatusCode.Accepted, "start");
    }

    /// <summary>
    /// A one-time sign-in link to the jobs page on one silo's client port, as deploy/local-cluster.sh prints one, with
    /// <paramref name="job"/> selected.
    /// </summary>
    public async Task<Uri> SignInLinkAsync(int slot, string job)
    {
        using var response = await _api[slot].PostAsync("api/browser-links", null);
        await ExpectAsync(response, HttpStatusCode.OK, "sign-in link");
        var link = (await response.Content.ReadFromJsonAsync<SignInLink>(ClientApiJson.Options))!;
        return new Uri(_api[slot].BaseAddress!, link.Path + "&job=" + Uri.EscapeDataString(job));
    }

    /// <summary>The job's status as one silo answers it, or null when that silo cannot answer now (it is down, or the coordinator moves).</summary>
    public async Task<JobStatus?> TryStatusAsync(int slot, string job)
    {
        try
        {
            using var timeout = new CancellationTokenSource(RequestLimit);
            using var response = await _api[slot].GetAsync($"api/jobs/{job}", timeout.Token);
            if (!response.IsSuccessStatusCode) return null;
            return await response.Content.ReadFromJsonAsync<JobStatus>(ClientApiJson.Options, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>Polls the running silos in turn until the job's status satisfies <paramref name="until"/> or the job has finished.</summary>
    public async Task<JobStatus> WaitForJobAsync(string job, Func<JobStatus, bool> until, TimeSpan limit)
    {
        var deadline = Clock.Elapsed + limit;
        var turn = 0;
        JobStatus? last = null;
        while (Clock.Elapsed < deadline)
        {
            var running = Running.ToArray();
            if (running.Length > 0 && await TryStatusAsync(running[turn++ % running.Length], job) is { } status)
            {
                last = status;
                if (until(status) || status.IsFinished) return status;
            }
            await Task.Delay(20);
        }
        Assert.Fail($"job {job} did not get there within {limit.TotalSeconds} s (last seen: {last?.State} at iteration {last?.Iteration}):\n{Logs()}");
        return null!;
    }

    public async Task<HpfModel> DownloadModelAsync(int slot, string job, TrainingOptions training)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var response = await _api[slot].GetAsync($"api/jobs/{job}/model", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await ExpectAsync(response, HttpStatusCode.OK, "model download");
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        return await ModelDownloadFormat.ReadAsync(stream, training, timeout.Token);
    }

    /// <summary>
    /// The slot whose running silo last took up the job's coordinator: the one that logged its creation or its
    /// resumption latest (only the coordinator's own silo logs those).
    /// </summary>
    public int CoordinatorOf(string job)
    {
        var best = (Slot: -1, At: TimeSpan.MinValue);
        foreach (var slot in Running)
        {
            foreach (var line in this[slot].Lines)
            {
                if ((line.Text.Contains($"Job {job} created", StringComparison.Ordinal) || line.Text.Contains($"Job {job} resuming from", StringComparison.Ordinal)) && line.At > best.At)
                    best = (slot, line.At);
            }
        }
        return best.Slot >= 0 ? best.Slot : throw new InvalidOperationException($"no running silo logged the coordinator of job {job}:\n{Logs()}");
    }

    /// <summary>Every line any process of the cluster wrote, in every generation, that contains <paramref name="text"/>.</summary>
    public IEnumerable<(int Slot, SiloProcess Process, SiloLogLine Line)> LinesContaining(string text) =>
        _all.SelectMany(p => p.Process.Lines.Where(l => l.Text.Contains(text, StringComparison.Ordinal)).Select(l => (p.Slot, p.Process, l)));

    /// <summary>Every process's output, for a failure message.</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        foreach (var (slot, process) in _all)
        {
            text.Append("----- silo ").Append(slot).Append(" (pid ").Append(process.Id).Append(process.HasExited ? $", exited {process.ExitCode}" : "").AppendLine(") -----");
            text.AppendLine(process.Output);
        }
        return text.ToString();
    }

    /// <summary>Whether the API key and the storage account key stayed out of every log.</summary>
    public void AssertSecretsNotShown()
    {
        var accountKey = _azurite.ConnectionString.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal))["AccountKey=".Length..];
        foreach (var (_, process) in _all)
        {
            Assert.DoesNotContain(_apiKey, process.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(accountKey, process.Output, StringComparison.Ordinal);
        }
    }

    private async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        if (response.StatusCode != expected)
            Assert.Fail($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{Logs()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process) in _all) await process.DisposeAsync();
        foreach (var client in _api) client.Dispose();
        await _azurite.DisposeAsync();
    }
}
