using System.Net;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// A 16 MB float[] sent to a grain on another silo (over the silo link), against the same bytes POSTed by a plain
/// HttpClient to a plain Kestrel HTTP/2 endpoint (the silo port's settings before the silo link; body read whole
/// into a pooled buffer) in the same run, and
/// against that endpoint also copying the bytes into a new float[] as the grain's argument must be.
/// MB/s = 16.78 / mean seconds.
/// </summary>
[Config(typeof(RuntimeBenchmarkConfig))]
public class RuntimeTransferBenchmarks
{
    private const int Floats = 4 * 1024 * 1024;
    private readonly float[] _values = Enumerable.Range(0, Floats).Select(i => (float)i).ToArray();
    private byte[] _bytes = [];
    private RuntimeBenchCluster _cluster = null!;
    private WebApplication _plainServer = null!;
    private HttpClient _plainClient = null!;
    private Uri _plainUri = null!;
    private Uri _materializeUri = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cluster = RuntimeBenchCluster.StartAsync().GetAwaiter().GetResult();
        // The baseline sends bytes it already has: no encoding, no copy, the floor for this transfer.
        _bytes = MemoryMarshal.AsBytes(_values.AsSpan()).ToArray();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = FreePort();
        // The HTTP/2 settings the silo port had before the silo link replaced it.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            k.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
            k.Listen(IPAddress.Loopback, port, listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        });
        _plainServer = builder.Build();
        _plainServer.MapPost("/raw", async (HttpContext context) =>
        {
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)context.Request.ContentLength!.Value);
            var length = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer.AsMemory(length))) > 0)
            {
                length += read;
            }
            if (context.Request.Query.ContainsKey("materialize"))
            {
                // What any receiver that hands the callee its own float[] pays: a fresh 16 MB array per message.
                var floats = GC.AllocateUninitializedArray<float>(length / sizeof(float));
                buffer.AsSpan(0, length).CopyTo(MemoryMarshal.AsBytes(floats.AsSpan()));
                length = floats.Length * sizeof(float);
            }
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            return Results.Text(length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        _plainServer.StartAsync().GetAwaiter().GetResult();
        _plainClient = new HttpClient(new SocketsHttpHandler { InitialHttp2StreamWindowSize = 4 * 1024 * 1024, UseProxy = false });
        _plainUri = new Uri($"http://127.0.0.1:{port}/raw");
        _materializeUri = new Uri($"http://127.0.0.1:{port}/raw?materialize=1");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plainClient.Dispose();
        _plainServer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task<int> PlainHttpClientToKestrel() => PostAsync(_plainUri);

    [Benchmark]
    public Task<int> PlainHttpClientToKestrelIntoNewArray() => PostAsync(_materializeUri);

    private async Task<int> PostAsync(Uri uri)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ReadOnlyMemoryContent(_bytes),
        };
        using var response = await _plainClient.SendAsync(request);
        return int.Parse(await response.Content.ReadAsStringAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Benchmark]
    public Task<int> GrainCallAcrossSilos() => _cluster.OtherSilo.Receive(_values);

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
