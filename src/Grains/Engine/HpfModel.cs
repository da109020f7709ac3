using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// A trained HPF model: the variational Gamma parameters of every user and item, row-major
/// [row × K] in float32, with the ids that name the rows (ordinal order, as in <see cref="Data.Dataset"/>).
/// With M ensemble members (<see cref="TrainingOptions.Members"/>) the K factors are the members' side by side, the
/// activities are [row × M], and the predicted count is the members' mean: E[θ_u]·E[β_i] / M.
/// </summary>
public sealed class HpfModel
{
    public HpfModel(
        TrainingOptions options,
        string[] userIds, string[] itemIds,
        float[] userShape, float[] userRate, float[] userActivityRate,
        float[] itemShape, float[] itemRate, float[] itemPopularityRate)
    {
        var k = options.Factors;
        if (userShape.Length != userIds.Length * k || userRate.Length != userShape.Length || userActivityRate.Length != userIds.Length * options.Members)
            throw new ArgumentException("user parameter arrays do not match the user ids, K and the members");
        if (itemShape.Length != itemIds.Length * k || itemRate.Length != itemShape.Length || itemPopularityRate.Length != itemIds.Length * options.Members)
            throw new ArgumentException("item parameter arrays do not match the item ids, K and the members");
        Options = options;
        UserIds = userIds;
        ItemIds = itemIds;
        UserShape = userShape;
        UserRate = userRate;
        UserActivityRate = userActivityRate;
        ItemShape = itemShape;
        ItemRate = itemRate;
        ItemPopularityRate = itemPopularityRate;
    }

    public TrainingOptions Options { get; }

    /// <summary>The items' groups of a budget model (<see cref="ModelKind.Budget"/>); null for HPF.</summary>
    public ItemGroups? Groups
    {
        get;
        init
        {
            if (value is not null && value.ItemGroup.Length != ItemIds.Length) throw new ArgumentException("the item groups do not match the item ids");
            field = value;
        }
    }
    public int Factors => Options.Factors;
    public int Members => Options.Members;
    public string[] UserIds { get; }
    public string[] ItemIds { get; }
    /// <summary>γshp [U × K].</summary>
    public float[] UserShape { get; }
    /// <summary>γrte [U × K].</summary>
    public float[] UserRate { get; }
    /// <summary>κrte [U × M]; κshp = a' + K_m·a for member m.</summary>
    public float[] UserActivityRate { get; }
    /// <summary>λshp [I × K].</summary>
    public float[] ItemShape { get; }
    /// <summary>λrte [I × K].</summary>
    public float[] ItemRate { get; }
    /// <summary>τrte [I × M]; τshp = c' + K_m·c for member m.</summary>
    public float[] ItemPopularityRate { get; }

    public int Users => UserIds.Length;
    public int Items => ItemIds.Length;

    public int IndexOfUser(string id) => IndexOf(UserIds, id);
    public int IndexOfItem(string id) => IndexOf(ItemIds, id);

    /// <summary>
    /// The user's factors of the prediction, E[θ_u] / M = γshp/(M·γrte), written into <paramref name="destination"/>
    /// (length K): with <see cref="ItemFactors"/>, their dot product is the predicted count (E[θ_u] itself when M = 1).
    /// </summary>
    public void UserFactors(int user, Span<float> destination) => Ratio(UserShape, UserRate, user, destination, Members);

    /// <summary>E[β_i] = λshp/λrte, written into <paramref name="destination"/> (length K).</summary>
    public void ItemFactors(int item, Span<float> destination) => Ratio(ItemShape, ItemRate, item, destination, 1);

    /// <summary><see cref="UserFactors"/> for every user, [U × K].</summary>
    public float[] UserFactorMatrix() => RatioMatrix(UserShape, UserRate, Members);

    /// <summary>E[β] for every item, [I × K].</summary>
    public float[] ItemFactorMatrix() => RatioMatrix(ItemShape, ItemRate, 1);

    /// <summary>The Poisson mean E[θ_u]·E[β_i] / M: the members' mean.</summary>
    public double Predict(int user, int item)
    {
        var k = Factors;
        double sum = 0;
        for (var f = 0; f < k; f++)
            sum += (double)UserShape[user * k + f] / UserRate[user * k + f] * ItemShape[item * k + f] / ItemRate[item * k + f];
        return sum / Members;
    }

    private void Ratio(float[] shape, float[] rate, int row, Span<float> destination, int members)
    {
        var k = Factors;
        var target = destination[..k];
        System.Numerics.Tensors.TensorPrimitives.Divide(shape.AsSpan(row * k, k), rate.AsSpan(row * k, k), target);
        if (members > 1) System.Numerics.Tensors.TensorPrimitives.Divide(target, members, target);
    }

    private static float[] RatioMatrix(float[] shape, float[] rate, int members)
    {
        var result = new float[shape.Length];
        System.Numerics.Tensors.TensorPrimitives.Divide(shape, rate, result);
        if (members > 1) System.Numerics.Tensors.TensorPrimitives.Divide(result, members, result);
        return result;
    }

    private static int IndexOf(string[] sortedIds, string id)
    {
        var i = Array.BinarySearch(sortedIds, id, StringComparer.Ordinal);
        return i >= 0 ? i : -1;
    }
}
