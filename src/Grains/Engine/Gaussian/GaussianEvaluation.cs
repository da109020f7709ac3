using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine.Gaussian;

/// <summary>Errors of a Gaussian model's predicted means on held-out ratings.</summary>
/// <param name="Ratings">Held-out ratings scored.</param>
/// <param name="ColdStart">Of those, ratings whose user or item the model had not seen (scored from the population prior).</param>
public sealed record RatingErrors(long Ratings, long ColdStart, double Rmse, double Mae, double MeanLogDensity);

/// <summary>How well a Gaussian model predicts ratings it was not trained on.</summary>
public static class GaussianEvaluation
{
    /// <summary>Mean log N(r; predicted mean, predicted variance) over held-out ratings whose user and item are known.</summary>
    public static double MeanLogDensity(GaussianModel model, HeldOutSet heldOut)
    {
        double sum = 0;
        for (var n = 0; n < heldOut.Count; n++) sum += LogDensity(model.Predict(heldOut.Users[n], heldOut.Items[n]), heldOut.Counts[n]);
        return sum / Math.Max(1, heldOut.Count);
    }

    /// <summary>
    /// RMSE, MAE and mean log-density of the predicted means over every rating of <paramref name="test"/>: a user or
    /// item the model has not seen is predicted from its side's population prior, so no rating is left out.
    /// </summary>
    public static RatingErrors Errors(GaussianModel model, Dataset test)
    {
        var itemIndex = new int[test.Items];
        for (var i = 0; i < test.Items; i++) itemIndex[i] = model.IndexOfItem(test.ItemIds[i]);
        double squares = 0, absolute = 0, density = 0;
        long count = 0, cold = 0;
        for (var u = 0; u < test.Users; u++)
        {
            var user = model.IndexOfUser(test.UserIds[u]);
            var posterior = model.UserPosterior(user);
            var items = test.ByUser.OthersOf(u);
            var ratings = test.ByUser.CountsOf(u);
            for (var n = 0; n < items.Length; n++)
            {
                var item = itemIndex[items[n]];
                var prediction = model.Predict(posterior, item);
                var error = ratings[n] - prediction.Mean;
                squares += error * error;
                absolute += Math.Abs(error);
                density += LogDensity(prediction, ratings[n]);
                count++;
                if (user < 0 || item < 0) cold++;
            }
        }
        var c = Math.Max(1, count);
        return new RatingErrors(count, cold, Math.Sqrt(squares / c), absolute / c, density / c);
    }

    private static double LogDensity(RatingPrediction p, double rating)
    {
        var z = (rating - p.Mean) / p.StandardDeviation;
        return -0.5 * Math.Log(2 * Math.PI) - Math.Log(p.StandardDeviation) - 0.5 * z * z;
    }
}
