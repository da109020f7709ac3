namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// A user folded in against a saved model's items: their Gamma parameters, how many local updates it took, the items of
/// their counts the model has (model indices, ascending, with the summed counts) and the ones it does not.
/// </summary>
internal sealed record FoldedUser(float[] Shape, float[] Rate, float[] ActivityRate, int Updates, int[] Items, float[] Counts, string[] UnknownItems)
{
    /// <summary>The user's factors of the prediction, E[θ] / M = shape / (M·rate), M the model's ensemble members.</summary>
    public float[] Theta(int members)
    {
        var theta = new float[Shape.Length];
        System.Numerics.Tensors.TensorPrimitives.Divide(Shape, Rate, theta);
        if (members > 1) System.Numerics.Tensors.TensorPrimitives.Divide(theta, members, theta);
        return theta;
    }
}
