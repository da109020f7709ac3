namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// The columns of a triplet format, named as the format's own documentation names them, so that an error message
/// talks about the "weight" of a Last.fm file and the "rating" of a MovieLens one. The count is always column 3.
/// </summary>
/// <param name="HasHeader">Files of this format usually start with a header line (CSV exports, Last.fm), so line 1 may be one.</param>
internal sealed record TripletLayout(string[] Names, string Description, bool HasHeader)
{
    private static readonly TripletLayout Triplet = new(["user", "item", "count"], "(user, item, count)", HasHeader: false);
    private static readonly TripletLayout CsvTriplet = new(["user", "item", "count"], "(user, item, count)", HasHeader: true);
    private static readonly TripletLayout MovieLens = new(["user", "item", "rating", "timestamp"], "(user, item, rating, timestamp)", HasHeader: false);
    private static readonly TripletLayout LastFm = new(["user", "artist", "weight"], "(userID, artistID, weight)", HasHeader: true);

    public static TripletLayout Of(DatasetFormat format) => format switch
    {
        DatasetFormat.Tsv => Triplet,
        DatasetFormat.Csv => CsvTriplet,
        DatasetFormat.MovieLens => MovieLens,
        DatasetFormat.LastFm => LastFm,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a file format"),
    };

    /// <summary>The column's name, or "field N" (1-based) for a column the format does not have.</summary>
    public string FieldName(int field) => field < Names.Length ? Names[field] : $"field {field + 1}";

    /// <summary>How a message refers to the column: "item field", or "field 5" past the format's columns.</summary>
    public string Describe(int field) => field < Names.Length ? $"{Names[field]} field" : $"field {field + 1}";
}
