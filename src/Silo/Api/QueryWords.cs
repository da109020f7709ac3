using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Silo.Api;

/// <summary>The words the API's query parameters take for a file's format, shared by every endpoint that reads a file.</summary>
internal static class QueryWords
{
    public static readonly (string Word, DatasetFormat Value)[] Formats =
        [("auto", DatasetFormat.Auto), ("tsv", DatasetFormat.Tsv), ("csv", DatasetFormat.Csv), ("movielens", DatasetFormat.MovieLens), ("lastfm", DatasetFormat.LastFm)];

    /// <summary>The value of <paramref name="word"/> among <paramref name="words"/>, case-insensitive.</summary>
    public static bool TryParse<T>((string Word, T Value)[] words, string word, out T value)
    {
        foreach (var (w, v) in words)
        {
            if (string.Equals(w, word, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = default!;
        return false;
    }
}
