using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>
/// A coordinator taking over a training job can find that an older coordinator wrote the job after it read it (the
/// older one's silo was declared dead but still ran, and saved one more checkpoint). The new one must read the job
/// again and claim it, not fail its activation and with it the caller's status call (which failed CI once).
/// </summary>
public sealed class CoordinatorTakeOverTests : IDisposable
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 600, Items = 400, Factors = 4, Seed = 37 });
    private readonly ClusterStorage _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task A_coordinator_whose_claim_loses_to_an_older_writer_reads_the_job_again_and_trains_it_to_the_end()
    {
        // Long enough that the first silo is stopped mid-training however fast the machine is.
        var options = new TrainingOptions { Factors = 5, MaxIterations = 1500, CheckEvery = 50, Stop = StopRule.MaxIter, Seed = 8, Threads = 1 };
        var spec = new JobSpec { Training = options, UserShards = 2, ItemShards = 2, CheckpointEvery = 50 };
        await using (var first = await TrainingCluster.StartAsync(1, _store))
        {
            await ClusterJob.SubmitAsync(first.Client, "claimed", spec, Sample.Data);
            var before = await ClusterJob.WaitAsync(first.Client, "claimed", until: s => s.LastCheckpoint >= 50 || s.IsFinished);
            Assert.Equal(JobState.Training, before.State);
        }

        var olderWriter = new OlderCoordinatorWrites();
        await using var second = await TrainingCluster.StartAsync(1, _store, watchdog: true, configure: silo =>
            silo.Services.AddKeyedSingleton<IGrainStorage>(HpfStorage.StateProvider, (services, _) =>
            {
                olderWriter.Inner = new FileGrainStorage(HpfStorage.StateProvider, new FileGrainStorageOptions { Directory = _store.StateDirectory },
                    services.GetRequiredService<IGrainStorageSerializer>(), services.GetRequiredService<IActivatorProvider>());
                return olderWriter;
            }));
        var after = await ClusterJob.WaitAsync(second.Client, "claimed");

        Assert.Equal(1, olderWriter.Interventions);
        Assert.True(after.State == JobState.Completed, $"{after.State}: {after.Error}");
        var expected = new InProcessTrainer(options).Train(Sample.Data);
        Assert.Equal(0, ModelComparison.MaxRelativeDifference(expected.Model, await ClusterJob.ReadModelAsync(second.Client, "claimed", options)));
    }

    /// <summary>The file storage, except that the first coordinator write is preceded by another writer's (as an older activation's would be).</summary>
    private sealed class OlderCoordinatorWrites : IGrainStorage
    {
        public IGrainStorage Inner { get; set; } = null!;

        public int Interventions { get; private set; }

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Inner.ReadStateAsync(stateName, grainId, grainState);

        public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            if (Interventions == 0 && grainId.Type.ToString() == "coordinator")
            {
                Interventions++;
                var older = new GrainState<T>();
                await Inner.ReadStateAsync(stateName, grainId, older);
                await Inner.WriteStateAsync(stateName, grainId, older);
            }
            await Inner.WriteStateAsync(stateName, grainId, grainState);
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Inner.ClearStateAsync(stateName, grainId, grainState);
    }
}
