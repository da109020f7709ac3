namespace Hpf.Cluster.Grains.Data;

/// <summary>The layouts of count-triplet files that <see cref="TripletFileReader"/> understands.</summary>
public enum DatasetFormat
{
    /// <summary>
    /// By file name: <c>u.data</c>, <c>*.base</c>, <c>*.test</c> are MovieLens, <c>user_artists.dat</c> is Last.fm,
    /// <c>*.csv</c> is CSV; anything else is TSV, or MovieLens when its first line has four tab-separated fields.
    /// </summary>
    Auto,
    /// <summary><c>user&lt;TAB&gt;item&lt;TAB&gt;count</c>; line 1 may be a header.</summary>
    Tsv,
    /// <summary><c>user,item,count</c> with RFC-4180 quoting on one line; line 1 may be a header.</summary>
    Csv,
    /// <summary>MovieLens <c>u.data</c>: <c>user&lt;TAB&gt;item&lt;TAB&gt;rating&lt;TAB&gt;timestamp</c>; the rating is the count.</summary>
    MovieLens,
    /// <summary>Last.fm <c>user_artists.dat</c>: a header <c>userID&lt;TAB&gt;artistID&lt;TAB&gt;weight</c>, then play counts.</summary>
    LastFm,
}
