using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// A trained HPF model: the variational Gamma parameters of every user and item, row-major
/// [row × K] in float32, with the ids that name the rows (ordinal order, as in <see cref="Data.Dataset"/>).
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
        if (userShape.Length != userIds.Length * k || userRate.Length != userShape.Length || userActivityRate.Length != userIds.Length)
            throw new ArgumentException("user parameter arrays do not match the user ids and K");
        if (itemShape.Length != itemIds.Length * k || itemRate.Length != itemShape.Length || itemPopularityRate.Length != itemIds.Length)
            throw new ArgumentException("item parameter arrays do not match the item ids and K");
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
    public int Factors => Options.Factors;
    public string[] UserIds { get; }
    public string[] ItemIds { get; }
    /// <summary>γshp [U × K].</summary>
    public float[] UserShape { get; }
    /// <summary>γrte [U × K].</summary>
    public float[] UserRate { get; }
    /// <summary>κrte [U]; κshp = a' + K·a.</summary>
    public float[] UserActivityRate { get; }
    /// <summary>λshp [I × K].</summary>
    public float[] ItemShape { get; }
    /// <summary>λrte [I × K].</summary>
    public float[] ItemRate { get; }
    /// <summary>τrte [I]; τshp = c' + K·c.</summary>
    public float[] ItemPopularityRate { get; }

    public int Users => UserIds.Length;
    public int Items => ItemIds.Length;

    public int IndexOfUser(string id) => IndexOf(UserIds, id);
    public int IndexOfItem(string id) => IndexOf(ItemIds, id);

    /// <summary>E[θ_u] = γshp/γrte, written into <paramref name="destination"/> (length K).</summary>
    public void ExpectedTheta(int user, Span<float> destination) => Ratio(UserShape, UserRate, user, destination);

    /// <summary>E[β_i] = λshp/λrte, written into <paramref name="destination"/> (length K).</summary>
    public void ExpectedBeta(int item, Span<float> destination) => Ratio(ItemShape, ItemRate, item, destination);

    /// <summary>E[θ] for every user, [U × K].</summary>
    public float[] ExpectedThetaMatrix() => RatioMatrix(UserShape, UserRate);

    /// <summary>E[β] for every item, [I × K].</summary>
    public float[] ExpectedBetaMatrix() => RatioMatrix(ItemShape, ItemRate);

    /// <summary>The Poisson mean E[θ_u]·E[β_i].</summary>
    public double Predict(int user, int item)
    {
        var k = Factors;
        double sum = 0;
        for (var f = 0; f < k; f++)
            sum += (double)UserShape[user * k + f] / UserRate[user * k + f] * ItemShape[item * k + f] / ItemRate[item * k + f];
        return sum;
    }

    private void Ratio(float[] shape, float[] rate, int row, Span<float> destination)
    {
        var k = Factors;
        System.Numerics.Tensors.TensorPrimitives.Divide(shape.AsSpan(row * k, k), rate.AsSpan(row * k, k), destination[..k]);
    }

    private static float[] RatioMatrix(float[] shape, float[] rate)
    {
        var result = new float[shape.Length];
        System.Numerics.Tensors.TensorPrimitives.Divide(shape, rate, result);
        return result;
    }

    private static int IndexOf(string[] sortedIds, string id)
    {
        var i = Array.BinarySearch(sortedIds, id, StringComparer.Ordinal);
        return i >= 0 ? i : -1;
    }
}
