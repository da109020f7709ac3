using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Hpf.Cluster.Grains.Interfaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// A 64 MB block of rows (16 M floats) from silo A to a grain on silo B as shards send rows: cut into parts of at most
/// 30 MiB (<see cref="HpfMessaging.MaxRowBlockBytes"/>), each an <see cref="ArrayPayload{T}"/>, all sent at once. Both
/// silos run in this process with Orleans' real TCP transport on loopback. Against the same bytes over a plain loopback
/// TCP connection read into a buffer by the other end, in the same run. MB/s = 67.1 / seconds.
/// </summary>
[Config(typeof(InProcessBenchmarkConfig))]
public class TransferBenchmarks
{
    private const int Floats = 16 * 1024 * 1024;
    private readonly float[] _values = Enumerable.Range(0, Floats).Select(i => (float)i).ToArray();
    private ArrayPayload<float>[] _parts = [];
    private IHost[] _silos = [];
    private IRowSinkGrain _sink = null!;
    private TcpListener _listener = null!;
    private TcpClient _sender = null!;
    private Task _reader = Task.CompletedTask;
    private SemaphoreSlim _received = new(0);
    private byte[] _bytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var ports = Enumerable.Range(0, 4).Select(_ => FreePort()).ToArray();
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
        _silos = [StartSilo(ports[0], ports[1], primary), StartSilo(ports[2], ports[3], primary)];
        var b = _silos[1].Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var grains = _silos[0].Services.GetRequiredService<IGrainFactory>();
        // Activated on silo B by a placement hint, so every call crosses from A to B.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, b);
        _sink = grains.GetGrain<IRowSinkGrain>(1);
        _sink.Take(new float[1]).GetAwaiter().GetResult();
        RequestContext.Clear();

        _bytes = MemoryMarshal.AsBytes(_values.AsSpan()).ToArray();
        var perPart = HpfMessaging.MaxRowBlockBytes / sizeof(float);
        _parts = [.. _values.Chunk(perPart).Select(part => new ArrayPayload<float>(part))];
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _sender = new TcpClient();
        _sender.Connect((IPEndPoint)_listener.LocalEndpoint);
        var receiving = _listener.AcceptTcpClient();
        _reader = Task.Run(async () =>
        {
            // The other end of the baseline: reads each block whole into one buffer, as a receiver must.
            var buffer = new byte[_bytes.Length];
            var stream = receiving.GetStream();
            while (true)
            {
                var length = 0;
                while (length < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(length));
                    if (read == 0) return;
                    length += read;
                }
                _received.Release();
            }
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _listener.Stop();
        _reader.Wait(TimeSpan.FromSeconds(5));
        foreach (var silo in _silos.Reverse()) silo.StopAsync().GetAwaiter().GetResult();
        foreach (var silo in _silos) silo.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task RawLoopbackTcp()
    {
        await _sender.GetStream().WriteAsync(_bytes);
        await _received.WaitAsync();
    }

    [Benchmark]
    public async Task<int> RowsToAGrainOnAnotherSilo()
    {
        var taken = await Task.WhenAll(_parts.Select(part => _sink.Take(part)));
        return taken.Sum();
    }

    private static IHost StartSilo(int siloPort, int gatewayPort, IPEndPoint primary)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.UseDevelopmentClustering(primary);
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = IPAddress.Loopback;
                o.SiloPort = siloPort;
                o.GatewayPort = gatewayPort;
            });
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("transfer-bench", "transfer-bench"));
            silo.Configure<SiloMessagingOptions>(o => o.MaxMessageBodySize = HpfMessaging.MaxMessageBodySize);
        });
        var host = builder.Build();
        host.StartAsync().GetAwaiter().GetResult();
        return host;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
