namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A job's item titles (key = job name), persisted: what the jobs page's recommendation explorer shows beside item ids.
/// Optional; a job without them shows ids alone. Deleted with the job.
/// </summary>
[Alias("hpf.IItemTitlesGrain")]
public interface IItemTitlesGrain : IGrainWithStringKey
{
    /// <summary>The most titles a job keeps: the state is one record, read and written whole.</summary>
    public const int MaxTitles = 2_000_000;

    /// <summary>Replaces the job's titles (id → title).</summary>
    [Alias("Replace")]
    Task Replace(Dictionary<string, string> titles, CancellationToken cancellationToken);

    /// <summary>The titles of those <paramref name="items"/> that have one.</summary>
    [Alias("Lookup")]
    Task<Dictionary<string, string>> Lookup(string[] items, CancellationToken cancellationToken);

    [Alias("Count")]
    Task<int> Count(CancellationToken cancellationToken);

    [Alias("Clear")]
    Task Clear(CancellationToken cancellationToken);
}
