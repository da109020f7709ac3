using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Storage;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>A job's item titles as stored: id → title.</summary>
[GenerateSerializer, Alias("hpf.ItemTitlesState")]
public sealed class ItemTitlesState
{
    [Id(0)]
    public Dictionary<string, string> Titles { get; set; } = new(StringComparer.Ordinal);
}

/// <inheritdoc cref="IItemTitlesGrain"/>
public sealed class ItemTitlesGrain(
    [PersistentState("titles", HpfStorage.StateProvider)] IPersistentState<ItemTitlesState> record) : Grain, IItemTitlesGrain
{
    public async Task Replace(Dictionary<string, string> titles, CancellationToken cancellationToken)
    {
        if (titles.Count > IItemTitlesGrain.MaxTitles)
            throw new ArgumentException($"{titles.Count} titles; a job keeps at most {IItemTitlesGrain.MaxTitles}");
        record.State.Titles = new Dictionary<string, string>(titles, StringComparer.Ordinal);
        await record.WriteStateAsync(cancellationToken);
    }

    public Task<Dictionary<string, string>> Lookup(string[] items, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (record.State.Titles.TryGetValue(item, out var title)) found[item] = title;
        }
        return Task.FromResult(found);
    }

    public Task<int> Count(CancellationToken cancellationToken) => Task.FromResult(record.State.Titles.Count);

    public async Task Clear(CancellationToken cancellationToken)
    {
        if (!record.RecordExists) return;
        await record.ClearStateAsync(cancellationToken);
        record.State.Titles = new Dictionary<string, string>(StringComparer.Ordinal);
    }
}
