using System.Diagnostics;
using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// The job every multi-silo process test trains: about 1M nonzeros sampled from the HPF model (20k users × 2k items),
/// K = 10, 160 full-batch iterations (enough to lose a silo at 105 with a good part of the run ahead, few enough to keep the suite within minutes on 2 cores), a checkpoint every 10, three shards a side; and the model the in-process trainer
/// makes of it with the same seed, which is what a cluster that lost silos on the way must still produce.
/// Made once for the collection: sampling and the reference training take a few seconds.
/// </summary>
public sealed class SampledJob
{
    public const int CheckpointEvery = 10;

    public SampledJob()
    {
        var clock = Stopwatch.StartNew();
        var sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 20_000, Items = 2_000, Factors = 10, Seed = 3, TargetNonzeros = 1_000_000 });
        Data = sample.Data;
        var text = new StringWriter();
        Data.WriteTsv(text);
        Tsv = Encoding.UTF8.GetBytes(text.ToString());
        Training = new TrainingOptions { Factors = 10, MaxIterations = 160, CheckEvery = 10, Stop = StopRule.MaxIter, Seed = 7, Threads = 1 };
        Spec = new JobSpec { Training = Training, UserShards = 3, ItemShards = 3, CheckpointEvery = CheckpointEvery };
        // Threads never change the model, so the reference may use both cores.
        var reference = new InProcessTrainer(Training with { Threads = 2 }).Train(Data);
        Expected = reference.Model;
        ExpectedCurve = reference.Report.Curve.Select(p => (p.Iteration, p.TrainLogLikelihood)).ToArray();
        PreparedIn = clock.Elapsed;
    }

    public Dataset Data { get; }

    public byte[] Tsv { get; }

    public TrainingOptions Training { get; }

    public JobSpec Spec { get; }

    public HpfModel Expected { get; }

    public (int Iteration, double TrainLogLikelihood)[] ExpectedCurve { get; }

    public TimeSpan PreparedIn { get; }
}
