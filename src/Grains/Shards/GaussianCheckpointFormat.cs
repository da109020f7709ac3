using System.Text;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A Gaussian job's shard checkpoint: the rows' means and covariances (float64, raw bytes) and the hyperparameters the
/// coordinator held at the checkpoint, tagged with the iteration, the side's version and the batch counter as an HPF
/// checkpoint is. It goes to the same slots as HPF's; its magic tells the two apart.
/// </summary>
internal static class GaussianCheckpointFormat
{
    private const string Magic = "hpf-gaussian-shard-checkpoint/1";

    public static void Write(Stream stream, GaussianRows rows, GaussianHyperparameters? hyperparameters, int iteration, long version, long stepCounter)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        using var writer = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(iteration);
        writer.Write(version);
        writer.Write(stepCounter);
        writer.Write(rows.Rows);
        writer.Write(rows.Factors);
        RawBinary.Write<double>(writer, rows.Mean);
        RawBinary.Write<double>(writer, rows.Covariance);
        writer.Write(hyperparameters is not null);
        if (hyperparameters is { } h)
        {
            writer.Write(h.Mu);
            writer.Write(h.NoiseVariance);
            foreach (var population in new[] { h.Users, h.Items })
            {
                RawBinary.Write<double>(writer, population.Mean);
                RawBinary.Write<double>(writer, population.Covariance);
            }
        }
        writer.Flush();
        buffered.Flush();
    }

    /// <summary>Reads a checkpoint into <paramref name="rows"/>.</summary>
    /// <returns>Its iteration, version, batch counter and hyperparameters.</returns>
    public static (int Iteration, long Version, long StepCounter, GaussianHyperparameters? Hyperparameters) Read(Stream stream, GaussianRows rows)
    {
        using var reader = new BinaryReader(new BufferedStream(stream, 1 << 16), Encoding.UTF8, leaveOpen: true);
        if (reader.ReadString() != Magic) throw new InvalidDataException("not a Gaussian shard checkpoint");
        var iteration = reader.ReadInt32();
        var version = reader.ReadInt64();
        var stepCounter = reader.ReadInt64();
        var count = reader.ReadInt32();
        var k = reader.ReadInt32();
        if (count != rows.Rows || k != rows.Factors) throw new InvalidDataException($"a checkpoint of {count} rows × {k} factors for a shard of {rows.Rows} × {rows.Factors}");
        RawBinary.ReadInto<double>(reader, rows.Mean);
        RawBinary.ReadInto<double>(reader, rows.Covariance);
        GaussianHyperparameters? hyperparameters = null;
        if (reader.ReadBoolean())
        {
            var mu = reader.ReadDouble();
            var noise = reader.ReadDouble();
            var d = k + 1;
            var users = new GaussianPopulation(new double[d], new double[d * d]);
            var items = new GaussianPopulation(new double[d], new double[d * d]);
            foreach (var population in new[] { users, items })
            {
                RawBinary.ReadInto<double>(reader, population.Mean);
                RawBinary.ReadInto<double>(reader, population.Covariance);
            }
            hyperparameters = new GaussianHyperparameters(mu, noise, users, items);
        }
        return (iteration, version, stepCounter, hyperparameters);
    }
}
