using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Tests.Engine;

/// <summary>An ensemble of M members is M HPF models trained side by side, and it predicts their mean.</summary>
public class EnsembleMembersTests
{
    private static readonly ModelSamples.Sample Sample = ModelSamples.Draw(users: 90, items: 70, factors: 3, seed: 21);

    /// <summary>
    /// Each member of a 2-member model (K = 7: members of 4 and 3 factors) is, parameter for parameter, the one-member
    /// model of its size trained alone from its member seed. By SVI only member 0 is compared: the job's seed also orders
    /// the batches, and only member 0's seed is the job's.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(30)]
    public void Each_member_is_the_model_of_its_size_trained_alone(int? usersPerBatch)
    {
        var options = new TrainingOptions { Factors = 7, Members = 2, Seed = 9, Threads = 2, MaxIterations = 15, Stop = StopRule.MaxIter, UsersPerBatch = usersPerBatch };
        var ensemble = new InProcessTrainer(options).Train(Sample.Data).Model;
        var layout = new FactorMembers(7, 2, SimdWidth.Scalar);
        for (var m = 0; m < (usersPerBatch is null ? 2 : 1); m++)
        {
            var alone = new InProcessTrainer(options with { Factors = layout.FactorCount(m), Members = 1, Seed = FactorSide.MemberSeed(9, m) })
                .Train(Sample.Data).Model;
            AssertMember(ensemble.UserShape, alone.UserShape, ensemble.Users, layout, m);
            AssertMember(ensemble.UserRate, alone.UserRate, ensemble.Users, layout, m);
            AssertMember(ensemble.ItemShape, alone.ItemShape, ensemble.Items, layout, m);
            AssertMember(ensemble.ItemRate, alone.ItemRate, ensemble.Items, layout, m);
            for (var u = 0; u < ensemble.Users; u++)
                Assert.Equal(alone.UserActivityRate[u], ensemble.UserActivityRate[u * 2 + m], 1e-5f * alone.UserActivityRate[u]);
            for (var i = 0; i < ensemble.Items; i++)
                Assert.Equal(alone.ItemPopularityRate[i], ensemble.ItemPopularityRate[i * 2 + m], 1e-5f * alone.ItemPopularityRate[i]);
        }
    }

    [Fact]
    public void The_prediction_is_the_members_mean_and_the_exported_factors_give_it()
    {
        var options = new TrainingOptions { Factors = 6, Members = 2, Seed = 3, Threads = 1, MaxIterations = 5, Stop = StopRule.MaxIter };
        var model = new InProcessTrainer(options).Train(Sample.Data).Model;
        var theta = model.UserFactorMatrix();
        var beta = model.ItemFactorMatrix();
        for (var (u, i) = (0, 0); u < model.Users; u += 7, i = (i + 5) % model.Items)
        {
            double member0 = 0, member1 = 0, exported = 0;
            for (var f = 0; f < 6; f++)
            {
                var product = (double)model.UserShape[u * 6 + f] / model.UserRate[u * 6 + f] * model.ItemShape[i * 6 + f] / model.ItemRate[i * 6 + f];
                if (f < 3) member0 += product;
                else member1 += product;
                exported += (double)theta[u * 6 + f] * beta[i * 6 + f];
            }
            Assert.Equal((member0 + member1) / 2, model.Predict(u, i), 1e-12);
            Assert.Equal(model.Predict(u, i), exported, 1e-5 * model.Predict(u, i));
        }
    }

    [Fact]
    public void Members_must_each_have_a_factor()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Factors = 3, Members = 4 }.Validate());
        Assert.Contains("--members", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Members = 0 }.Validate());
    }

    [Fact]
    public void A_model_file_of_version_1_reads_as_one_member()
    {
        var options = new TrainingOptions { Factors = 4, Members = 1, MaxIterations = 3, Stop = StopRule.MaxIter, Threads = 1 };
        var model = new InProcessTrainer(options).Train(Sample.Data).Model;
        using var current = new MemoryStream();
        ModelStoreFormat.WriteModel(current, model, Guid.NewGuid());
        // Version 1 is version 4 without the member count, the two batch fractions, the count transform, the model
        // kind and the Gaussian hyperpriors, which close the options: magic (8), version (4), save id (16), then 112 bytes of options.
        var bytes = current.ToArray().ToList();
        const int membersAt = 8 + 4 + 16 + 112;
        Assert.Equal(1, BitConverter.ToInt32([.. bytes], membersAt));
        Assert.Equal((int)CountTransform.None, BitConverter.ToInt32([.. bytes], membersAt + 4 + 2 * sizeof(double)));
        bytes.RemoveRange(membersAt, 4 + 2 * sizeof(double) + 4 + 4 + GaussianPriorBytes);
        var old = bytes.ToArray();
        BitConverter.GetBytes(1).CopyTo(old, 8);
        var read = ModelStoreFormat.ReadModel(new MemoryStream(old), out _);
        Assert.Equal(1, read.Members);
        Assert.Equal(CountTransform.None, read.Options.Transform);
        Assert.Equal(model.UserActivityRate, read.UserActivityRate);
        Assert.Equal(model.Predict(0, 0), read.Predict(0, 0));
    }

    [Fact]
    public void A_model_file_of_version_2_reads_as_trained_on_the_counts_as_read()
    {
        var options = new TrainingOptions { Factors = 4, Members = 2, MaxIterations = 3, Stop = StopRule.MaxIter, Threads = 1 };
        var model = new InProcessTrainer(options).Train(Sample.Data).Model;
        using var current = new MemoryStream();
        ModelStoreFormat.WriteModel(current, model, Guid.NewGuid());
        // Version 2 is version 4 without the two batch fractions, the count transform, the model kind and the Gaussian hyperpriors that follow the member count.
        var bytes = current.ToArray().ToList();
        const int fractionsAt = 8 + 4 + 16 + 112 + 4;
        bytes.RemoveRange(fractionsAt, 2 * sizeof(double) + 4 + 4 + GaussianPriorBytes);
        var old = bytes.ToArray();
        BitConverter.GetBytes(2).CopyTo(old, 8);
        var read = ModelStoreFormat.ReadModel(new MemoryStream(old), out _);
        Assert.Equal(2, read.Members);
        Assert.Equal(CountTransform.None, read.Options.Transform);
        Assert.Equal(model.Predict(0, 0), read.Predict(0, 0));
    }

    [Fact]
    public void A_model_file_of_version_3_reads_as_HPF()
    {
        var options = new TrainingOptions { Factors = 4, Members = 2, MaxIterations = 3, Stop = StopRule.MaxIter, Threads = 1 };
        var model = new InProcessTrainer(options).Train(Sample.Data).Model;
        using var current = new MemoryStream();
        ModelStoreFormat.WriteModel(current, model, Guid.NewGuid());
        // Version 3 is version 4 without the model kind and the Gaussian hyperpriors that close the options.
        var bytes = current.ToArray().ToList();
        const int kindAt = 8 + 4 + 16 + 112 + 4 + 2 * sizeof(double) + 4;
        Assert.Equal((int)ModelKind.Poisson, BitConverter.ToInt32([.. bytes], kindAt));
        bytes.RemoveRange(kindAt, 4 + GaussianPriorBytes);
        var old = bytes.ToArray();
        BitConverter.GetBytes(3).CopyTo(old, 8);
        var read = ModelStoreFormat.ReadModel(new MemoryStream(old), out _);
        Assert.Equal(ModelKind.Poisson, read.Options.Model);
        Assert.Null(read.Groups);
        Assert.Equal(model.Predict(0, 0), read.Predict(0, 0));
    }

    /// <summary>Version 4's Gaussian hyperpriors, written for every model: five doubles.</summary>
    private const int GaussianPriorBytes = 5 * sizeof(double);

    private static void AssertMember(float[] ensemble, float[] alone, int rows, FactorMembers layout, int member)
    {
        var k = layout.Factors;
        var size = layout.FactorCount(member);
        var start = layout.FactorStart(member);
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < size; f++)
            {
                var expected = alone[r * size + f];
                Assert.Equal(expected, ensemble[r * k + start + f], 1e-5f * Math.Abs(expected));
            }
        }
    }
}
