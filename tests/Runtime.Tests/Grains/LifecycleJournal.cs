using System.Collections.Concurrent;

namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>Shared by the silos of one test cluster (injected into grains): lifecycle events and saved values per key.</summary>
public sealed class LifecycleJournal
{
    private readonly ConcurrentQueue<(string Key, string Event)> _events = new();
    private readonly ConcurrentDictionary<string, int> _saved = new();

    public void Record(string key, string @event) => _events.Enqueue((key, @event));

    public IReadOnlyList<string> EventsOf(string key) => _events.Where(e => e.Key == key).Select(e => e.Event).ToList();

    public void Save(string key, int value) => _saved[key] = value;

    public int Saved(string key) => _saved.TryGetValue(key, out var value) ? value : 0;
}
