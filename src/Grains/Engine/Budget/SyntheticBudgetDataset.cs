using System.Globalization;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>What <see cref="SyntheticBudgetDataset"/> draws (<c>hpf synth --model budget</c>).</summary>
public sealed record SyntheticBudgetOptions
{
    public int Users { get; init; } = 1000;
    public int Items { get; init; } = 2000;
    /// <summary>Groups (artists); item n belongs to group n mod Groups, so every group has ⌊Items/Groups⌋ or one more.</summary>
    public int Groups { get; init; } = 100;
    public int Factors { get; init; } = 10;
    public ulong Seed { get; init; } = 1;
    /// <summary>x_uk ~ Gamma(A, 1) and β_sk ~ Gamma(C, 1): shapes below 1 give users and items a few strong factors.</summary>
    public double A { get; init; } = 0.3;
    public double C { get; init; } = 0.3;
    /// <summary>Mean number of groups a user plays (1 + Poisson(mean − 1)), chosen by the groups' popularity.</summary>
    public double GroupsPerUser { get; init; } = 10;
    /// <summary>Mean total count of a played (user, group) pair (1 + Poisson(mean − 1)).</summary>
    public double PlaysPerGroup { get; init; } = 8;

    public void Validate()
    {
        if (Users < 1) throw Bad("users", Users, "must be ≥ 1");
        if (Groups < 1) throw Bad("groups", Groups, "must be ≥ 1");
        if (Items < Groups) throw Bad("items", Items, $"must be ≥ the groups ({Groups}): every group needs an item");
        if (Factors < 1) throw Bad("k", Factors, "must be ≥ 1");
        if (!(GroupsPerUser >= 1)) throw Bad("groups-per-user", GroupsPerUser, "must be ≥ 1");
        if (!(PlaysPerGroup >= 1)) throw Bad("plays-per-group", PlaysPerGroup, "must be ≥ 1");
        if (!(A > 0) || !(C > 0)) throw Bad("a", A, "the factor shapes must be > 0");
    }

    private static ArgumentOutOfRangeException Bad(string name, object value, string rule) => new(name, value, $"option '--{name}' {rule}, got {value}");
}

/// <summary>
/// Data sampled from the budget model: x_u ~ Gamma(a, 1), β_s ~ Gamma(c, 1); each user's played groups and their
/// totals r_ua are drawn first (groups by a Gamma(0.5, 1) popularity, totals 1 + Poisson), independently of the
/// factors, as the model leaves them unmodelled; then each total is split over the group's items,
/// Multinomial(r_ua, x_u·β_s / Σ_{s'∈a} x_u·β_s'). Same options give the same data.
/// </summary>
public sealed class SyntheticBudgetDataset
{
    private SyntheticBudgetDataset(SyntheticBudgetOptions options, Dataset data, ItemGroupMap groups, double[] x, double[] beta)
    {
        Options = options;
        Data = data;
        Groups = groups;
        X = x;
        Beta = beta;
    }

    public SyntheticBudgetOptions Options { get; }
    public Dataset Data { get; }
    /// <summary>Every item's group, as <c>--groups-out</c> writes it (items that drew no count included).</summary>
    public ItemGroupMap Groups { get; }
    /// <summary>True x, [user number × K] (user n is <c>u{n}</c>).</summary>
    public double[] X { get; }
    /// <summary>True β, [item number × K] (item n is <c>i{n}</c>).</summary>
    public double[] Beta { get; }

    public static string UserId(int n) => "u" + n.ToString(CultureInfo.InvariantCulture);
    public static string ItemId(int n) => "i" + n.ToString(CultureInfo.InvariantCulture);
    public static string GroupId(int n) => "g" + n.ToString(CultureInfo.InvariantCulture);

    public static SyntheticBudgetDataset Generate(SyntheticBudgetOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        int users = options.Users, items = options.Items, groups = options.Groups, k = options.Factors;
        var rng = new Xoshiro256StarStar(options.Seed);
        var x = new double[users * k];
        for (var j = 0; j < x.Length; j++) x[j] = RandomVariates.Gamma(ref rng, options.A, 1.0);
        var beta = new double[items * k];
        for (var j = 0; j < beta.Length; j++) beta[j] = RandomVariates.Gamma(ref rng, options.C, 1.0);
        var popularity = new double[groups];
        for (var g = 0; g < groups; g++) popularity[g] = RandomVariates.Gamma(ref rng, 0.5, 1.0) + 1e-12;
        var choose = new AliasTable(popularity);
        var itemsOf = new List<int>[groups];
        for (var g = 0; g < groups; g++) itemsOf[g] = [];
        for (var s = 0; s < items; s++) itemsOf[s % groups].Add(s);

        var builder = new DatasetBuilder();
        var played = new HashSet<int>();
        var weights = new double[(items + groups - 1) / groups];
        var counts = new int[weights.Length];
        for (var u = 0; u < users; u++)
        {
            if ((u & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            var user = UserId(u);
            played.Clear();
            var wanted = Math.Min(groups, 1 + (int)RandomVariates.Poisson(ref rng, options.GroupsPerUser - 1));
            while (played.Count < wanted) played.Add(choose.Sample(ref rng));
            foreach (var g in played.Order())
            {
                var total = 1 + RandomVariates.Poisson(ref rng, options.PlaysPerGroup - 1);
                var members = itemsOf[g];
                double sum = 0;
                for (var n = 0; n < members.Count; n++)
                {
                    double mu = 0;
                    for (var f = 0; f < k; f++) mu += x[u * k + f] * beta[members[n] * k + f];
                    weights[n] = mu;
                    sum += mu;
                }
                Array.Clear(counts);
                for (long d = 0; d < total; d++)
                {
                    // One categorical draw by inversion; with μ all zero (underflow) the split is uniform.
                    var target = rng.NextDouble() * sum;
                    var n = 0;
                    if (sum > 0)
                    {
                        while (n < members.Count - 1 && (target -= weights[n]) >= 0) n++;
                    }
                    else n = rng.NextInt(members.Count);
                    counts[n]++;
                }
                for (var n = 0; n < members.Count; n++)
                    if (counts[n] > 0) builder.Add(user, ItemId(members[n]), counts[n]);
            }
        }
        var groupOf = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var s = 0; s < items; s++) groupOf.Add(ItemId(s), GroupId(s % groups));
        return new SyntheticBudgetDataset(options, builder.Build(), new ItemGroupMap(groupOf, "synthetic groups"), x, beta);
    }

    /// <summary>The truth as a model over the data's users and items (shape = the true value, rate 1), with its groups.</summary>
    public HpfModel ToTrueModel()
    {
        var k = Options.Factors;
        var training = new TrainingOptions { Factors = k, Members = 1, Model = ModelKind.Budget };
        var userShape = new float[Data.Users * k];
        for (var r = 0; r < Data.Users; r++)
        {
            var n = int.Parse(Data.UserIds[r].AsSpan(1), CultureInfo.InvariantCulture);
            for (var f = 0; f < k; f++) userShape[r * k + f] = (float)X[n * k + f];
        }
        var itemShape = new float[Data.Items * k];
        for (var r = 0; r < Data.Items; r++)
        {
            var n = int.Parse(Data.ItemIds[r].AsSpan(1), CultureInfo.InvariantCulture);
            for (var f = 0; f < k; f++) itemShape[r * k + f] = (float)Beta[n * k + f];
        }
        var userRate = new float[userShape.Length];
        Array.Fill(userRate, 1f);
        var itemRate = new float[itemShape.Length];
        Array.Fill(itemRate, 1f);
        var userActivity = new float[Data.Users];
        Array.Fill(userActivity, 1f);
        var itemActivity = new float[Data.Items];
        Array.Fill(itemActivity, 1f);
        return new HpfModel(training, Data.UserIds, Data.ItemIds, userShape, userRate, userActivity, itemShape, itemRate, itemActivity) { Groups = Groups.Dense(Data.ItemIds) };
    }

    /// <summary>Writes <c>item&lt;TAB&gt;group</c> for every item, in item number order.</summary>
    public void WriteGroups(TextWriter writer)
    {
        for (var s = 0; s < Options.Items; s++)
        {
            writer.Write(ItemId(s));
            writer.Write('\t');
            writer.Write(GroupId(s % Options.Groups));
            writer.Write('\n');
        }
    }
}
