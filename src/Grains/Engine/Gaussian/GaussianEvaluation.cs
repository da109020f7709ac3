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

/// <summary>
/// Ranking metrics of a Gaussian model, as <see cref="Evaluation.ModelEvaluator"/> takes them for HPF: for each test user
/// the training set knows, the items it did not rate in training ranked by predicted mean; every rated test item (of a
/// known item) is relevant. Precision divides the hits by K, recall by min(K, the user's test items), NDCG is binary.
/// </summary>
public static class GaussianRanking
{
    /// <returns>Precision, recall and NDCG at <paramref name="k"/>, and the users evaluated (NaN metrics when none).</returns>
    public static (double Precision, double Recall, double Ndcg, int Users) Evaluate(GaussianModel model, Dataset train, Dataset test, int k)
    {
        var trainItems = new HashSet<int>();
        var relevant = new HashSet<int>();
        var scores = new double[model.Items.Rows];
        var order = new int[model.Items.Rows];
        var idealGain = Evaluation.DiscountedGain.IdealTable(k);
        double precision = 0, recall = 0, ndcg = 0;
        var users = 0;
        for (var t = 0; t < test.Users; t++)
        {
            var user = model.IndexOfUser(test.UserIds[t]);
            var trainRow = train.IndexOfUser(test.UserIds[t]);
            if (user < 0 || trainRow < 0) continue;
            trainItems.Clear();
            foreach (var i in train.ByUser.OthersOf(trainRow)) trainItems.Add(model.IndexOfItem(train.ItemIds[i]));
            relevant.Clear();
            foreach (var i in test.ByUser.OthersOf(t))
            {
                var item = model.IndexOfItem(test.ItemIds[i]);
                if (item >= 0 && !trainItems.Contains(item)) relevant.Add(item);
            }
            if (relevant.Count == 0) continue;
            var count = 0;
            for (var i = 0; i < model.Items.Rows; i++)
            {
                if (trainItems.Contains(i)) continue;
                scores[count] = -PredictedMean(model, user, i);
                order[count] = i;
                count++;
            }
            // Best first; ties go to the lower item index, as the HPF evaluator breaks them.
            Array.Sort(scores, order, 0, count);
            var top = Math.Min(k, count);
            double hits = 0, dcg = 0;
            for (var r = 0; r < top; r++)
            {
                if (relevant.Contains(order[r]))
                {
                    hits++;
                    dcg += Evaluation.DiscountedGain.At(r);
                }
            }
            precision += hits / k;
            recall += hits / Math.Min(k, relevant.Count);
            ndcg += dcg / idealGain[Math.Min(k, relevant.Count)];
            users++;
        }
        return users == 0 ? (double.NaN, double.NaN, double.NaN, 0) : (precision / users, recall / users, ndcg / users, users);
    }

    /// <summary>μ + E[x_u]·E[y_i] + E[b_u] + E[c_i]: the predictive mean, without the variance the ranking does not need.</summary>
    public static double PredictedMean(GaussianModel model, int user, int item)
    {
        var d = model.Factors + 1;
        var x = model.Users.Mean.AsSpan(user * d, d);
        var y = model.Items.Mean.AsSpan(item * d, d);
        var s = model.Hyperparameters.Mu + x[d - 1] + y[d - 1];
        for (var f = 0; f < d - 1; f++) s += x[f] * y[f];
        return s;
    }
}
