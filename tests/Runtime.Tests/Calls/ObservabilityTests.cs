using System.Diagnostics.Metrics;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Hosting;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Testing;
using Hpf.Cluster.Runtime.Tests.Grains;

namespace Hpf.Cluster.Runtime.Tests.Calls;

public sealed class ObservabilityTests
{
    [Fact]
    public async Task Silos_log_activations_and_refused_peers_but_never_the_secret()
    {
        var logs = new CapturingLoggerProvider();
        var options = new TestClusterOptions { LoggerProvider = logs, ClusterSecret = "s3cr3t-" + Guid.NewGuid().ToString("N") };
        await using (var cluster = await TestCluster.StartAsync(2, options))
        {
            for (var i = 0; i < 10; i++)
            {
                await cluster.Client.GetGrain<ICounterGrain>("logged" + i).Add(1);
            }
            await Assert.ThrowsAsync<GrainCallException>(() => cluster.Client.GetGrain<ICounterGrain>("logged0").Fail("failure text"));
            await using var intruder = new ClusterClient(
                cluster.Membership.ViewFor(new SiloAddress("intruder", 0, 0)),
                new ClusterOptions { ClusterId = "test", ClusterSecret = "wrong-" + options.ClusterSecret, CallTimeout = TimeSpan.FromSeconds(5) });
            await Assert.ThrowsAsync<GrainCallException>(() => intruder.GrainFactory.GetGrain<ICounterGrain>("logged1").Get());
        }

        Assert.Contains(logs.Messages, m => m.Contains("Activated", StringComparison.Ordinal) && m.Contains("logged", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("Refused a connection", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("Deactivated", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains(options.ClusterSecret, StringComparison.Ordinal));
    }

    [Fact]
    public void Cluster_options_print_without_their_secrets()
    {
        var options = new ClusterOptions { ClusterSecret = "hunter2-secret", CertificatePassword = "pfx-password" };

        Assert.DoesNotContain("hunter2", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pfx-password", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runtime_meter_publishes_calls_bytes_queue_length_and_latency()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RuntimeMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen.AddOrUpdate(instrument.Name, value, (_, old) => old + value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => seen.AddOrUpdate(instrument.Name, value, (_, old) => old + value));
        listener.Start();

        for (var i = 0; i < 20; i++)
        {
            await cluster.Client.GetGrain<ICounterGrain>("metered" + i).Echo([1f, 2f, 3f]);
        }
        listener.RecordObservableInstruments();

        Assert.True(seen.GetValueOrDefault("hpf.runtime.calls.remote") >= 20);
        Assert.True(seen.GetValueOrDefault("hpf.runtime.calls.local") >= 20);
        Assert.True(seen.GetValueOrDefault("hpf.runtime.bytes.sent") > 0);
        Assert.True(seen.GetValueOrDefault("hpf.runtime.bytes.received") > 0);
        Assert.True(seen.ContainsKey("hpf.runtime.queue.length"));
        Assert.True(seen.GetValueOrDefault("hpf.runtime.activations") >= 20);
        Assert.True(seen.GetValueOrDefault("hpf.runtime.call.duration") > 0);
    }
}
