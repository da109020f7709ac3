using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// A saved model and its training set with one user added (or replaced) by fold-in: the user's row goes in at its ordinal
/// place with the folded-in parameters, and their counts become their training row (what recommendations leave out).
/// Every other row, and every item, stays as it was.
/// </summary>
internal static class SavedJobWithUser
{
    public static (HpfModel Model, Dataset Train) Of(HpfModel model, Dataset train, string user, FoldedUser fold)
    {
        var k = model.Factors;
        var existing = model.IndexOfUser(user);
        var at = existing >= 0 ? existing : ~Array.BinarySearch(model.UserIds, user, StringComparer.Ordinal);
        var replace = existing >= 0;

        var userIds = Spliced(model.UserIds, at, replace, [user]);
        var shape = Spliced(model.UserShape, at * k, replace ? k : 0, fold.Shape);
        var rate = Spliced(model.UserRate, at * k, replace ? k : 0, fold.Rate);
        var members = model.Members;
        var activity = Spliced(model.UserActivityRate, at * members, replace ? members : 0, fold.ActivityRate);
        var withUser = new HpfModel(model.Options, userIds, model.ItemIds, shape, rate, activity, model.ItemShape, model.ItemRate, model.ItemPopularityRate);

        // The training set's users are the model's (a saved job keeps them equal), so the row goes in at the same place.
        var rows = train.ByUser;
        var from = rows.RowStart[at];
        var to = replace ? rows.RowStart[at + 1] : from;
        var other = Spliced(rows.Other, from, to - from, fold.Items);
        var counts = Spliced(rows.Counts, from, to - from, fold.Counts);
        var rowStart = new int[userIds.Length + 1];
        var shift = fold.Items.Length - (to - from);
        for (var u = 0; u <= at; u++) rowStart[u] = rows.RowStart[u];
        rowStart[at + 1] = from + fold.Items.Length;
        for (var u = at + 2; u <= userIds.Length; u++) rowStart[u] = rows.RowStart[u - (replace ? 0 : 1)] + shift;
        var trainWithUser = new Dataset(userIds, train.ItemIds, new SparseRows(rowStart, other, counts));
        return (withUser, trainWithUser);
    }

    private static string[] Spliced(string[] source, int at, bool replace, string[] insert) => Spliced(source, at, replace ? 1 : 0, insert);

    /// <summary><paramref name="source"/> with <paramref name="removed"/> elements at <paramref name="at"/> replaced by <paramref name="insert"/>.</summary>
    private static T[] Spliced<T>(T[] source, int at, int removed, T[] insert)
    {
        var result = new T[source.Length - removed + insert.Length];
        source.AsSpan(0, at).CopyTo(result);
        insert.CopyTo(result.AsSpan(at));
        source.AsSpan(at + removed).CopyTo(result.AsSpan(at + insert.Length));
        return result;
    }
}
