using System.Diagnostics.Metrics;

namespace Hpf.Cluster.Runtime.Diagnostics;

/// <summary>
/// Counters of one silo (or client), published on the "Hpf.Cluster.Runtime" meter and also readable as
/// properties so tests can assert on one silo without a listener.
/// </summary>
public sealed class RuntimeMetrics : IDisposable
{
    public const string MeterName = "Hpf.Cluster.Runtime";

    private readonly Meter _meter;
    private readonly Histogram<double> _callLatency;
    private long _localCalls;
    private long _remoteCalls;
    private long _forwardedCalls;
    private long _failedCalls;
    private long _messagesSerialized;
    private long _bytesSent;
    private long _bytesReceived;
    private long _queuedCalls;
    private long _activations;

    public RuntimeMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("hpf.runtime.calls.local", () => LocalCalls, description: "Grain calls served without leaving the process");
        _meter.CreateObservableCounter("hpf.runtime.calls.remote", () => RemoteCalls, description: "Grain calls sent to another silo");
        _meter.CreateObservableCounter("hpf.runtime.calls.forwarded", () => ForwardedCalls, description: "Calls that reached a silo that no longer owned the grain");
        _meter.CreateObservableCounter("hpf.runtime.calls.failed", () => FailedCalls, description: "Calls that ended in an exception");
        _meter.CreateObservableCounter("hpf.runtime.messages.serialized", () => MessagesSerialized, description: "Call and response messages encoded");
        _meter.CreateObservableCounter("hpf.runtime.bytes.sent", () => BytesSent, unit: "By");
        _meter.CreateObservableCounter("hpf.runtime.bytes.received", () => BytesReceived, unit: "By");
        _meter.CreateObservableUpDownCounter("hpf.runtime.queue.length", () => QueuedCalls, description: "Calls waiting in activation queues");
        _meter.CreateObservableUpDownCounter("hpf.runtime.activations", () => Activations);
        _callLatency = _meter.CreateHistogram<double>("hpf.runtime.call.duration", unit: "ms", description: "Grain call latency as the caller sees it");
    }

    public long LocalCalls => Interlocked.Read(ref _localCalls);
    public long RemoteCalls => Interlocked.Read(ref _remoteCalls);
    public long ForwardedCalls => Interlocked.Read(ref _forwardedCalls);
    public long FailedCalls => Interlocked.Read(ref _failedCalls);
    public long MessagesSerialized => Interlocked.Read(ref _messagesSerialized);
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);
    public long QueuedCalls => Interlocked.Read(ref _queuedCalls);
    public long Activations => Interlocked.Read(ref _activations);

    internal void LocalCall() => Interlocked.Increment(ref _localCalls);
    internal void RemoteCall() => Interlocked.Increment(ref _remoteCalls);
    internal void ForwardedCall() => Interlocked.Increment(ref _forwardedCalls);
    internal void FailedCall() => Interlocked.Increment(ref _failedCalls);
    internal void MessageSerialized() => Interlocked.Increment(ref _messagesSerialized);
    internal void Sent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);
    internal void Received(long bytes) => Interlocked.Add(ref _bytesReceived, bytes);
    internal void QueuedCallAdded() => Interlocked.Increment(ref _queuedCalls);
    internal void QueuedCallRemoved() => Interlocked.Decrement(ref _queuedCalls);
    internal void ActivationCreated() => Interlocked.Increment(ref _activations);
    internal void ActivationRemoved() => Interlocked.Decrement(ref _activations);
    internal void CallCompleted(TimeSpan elapsed) => _callLatency.Record(elapsed.TotalMilliseconds);

    public void Dispose() => _meter.Dispose();
}
