using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Hpf.Cluster.Grains.Storage.Tests;

/// <summary>A grain's small state, as the silo would persist it: generated (binary) serializer, no constructor arguments.</summary>
[GenerateSerializer]
public sealed record ShardProgress
{
    [Id(0)] public int Epoch { get; init; }

    [Id(1)] public string? Checkpoint { get; init; }

    [Id(2)] public double[] Losses { get; init; } = [];

    public bool Matches(ShardProgress other) => (Epoch, Checkpoint) == (other.Epoch, other.Checkpoint) && Losses.SequenceEqual(other.Losses);
}

public sealed class FileGrainStorageTests : IDisposable
{
    private const string StateName = "progress";
    private static readonly GrainId Grain = GrainId.Create("shard", "job-1/3");

    private readonly string _directory = Directory.CreateTempSubdirectory("hpf-grain-state-").FullName;
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(ShardProgress).Assembly))
        .AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>()
        .BuildServiceProvider();

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_state_round_trips_through_the_binary_serializer_with_its_etag()
    {
        var progress = new ShardProgress { Epoch = 12, Checkpoint = "ckpt/job-1/3@12", Losses = [0.5, 0.25, double.Epsilon] };
        var written = new GrainState<ShardProgress>(progress);

        await Storage().WriteStateAsync(StateName, Grain, written);

        Assert.True(written.RecordExists);
        Assert.False(string.IsNullOrEmpty(written.ETag));
        // A new provider on the same directory: what a restarted silo sees.
        var read = new GrainState<ShardProgress>(new ShardProgress());
        await Storage().ReadStateAsync(StateName, Grain, read);
        Assert.True(read.State!.Matches(progress));
        Assert.Equal((written.ETag, true), (read.ETag, read.RecordExists));
    }

    [Fact]
    public async Task Absent_state_reads_as_a_new_state_without_a_record_or_etag()
    {
        var read = new GrainState<ShardProgress>(new ShardProgress { Epoch = 3 }) { ETag = "left over" };

        await Storage().ReadStateAsync(StateName, Grain, read);

        Assert.True(read.State!.Matches(new ShardProgress()));
        Assert.Equal((null, false), (read.ETag, read.RecordExists));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_InconsistentStateException_and_leaves_the_state()
    {
        var storage = Storage();
        var first = new GrainState<ShardProgress>(new ShardProgress { Epoch = 1 });
        await storage.WriteStateAsync(StateName, Grain, first);
        var stale = new GrainState<ShardProgress>(new ShardProgress { Epoch = 99 }) { ETag = first.ETag };
        first.State = new ShardProgress { Epoch = 2 };
        await storage.WriteStateAsync(StateName, Grain, first);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain, stale));
        var fresh = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync(StateName, Grain, new GrainState<ShardProgress>(new ShardProgress { Epoch = 100 })));

        Assert.Equal((first.ETag, stale.ETag), (error.StoredEtag, error.CurrentEtag));
        Assert.Contains(Grain.ToString(), error.Message);
        Assert.Equal((first.ETag, null), (fresh.StoredEtag, fresh.CurrentEtag));
        var read = new GrainState<ShardProgress>(new ShardProgress());
        await storage.ReadStateAsync(StateName, Grain, read);
        Assert.Equal((2, first.ETag), (read.State!.Epoch, read.ETag));
    }

    [Fact]
    public async Task Clear_needs_the_current_etag_and_removes_the_state_and_its_file()
    {
        var storage = Storage();
        var state = new GrainState<ShardProgress>(new ShardProgress { Epoch = 5, Losses = [1] });
        await storage.WriteStateAsync(StateName, Grain, state);
        var stale = new GrainState<ShardProgress>(new ShardProgress()) { ETag = "0123456789abcdef0123456789abcdef" };

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain, stale));
        await storage.ClearStateAsync(StateName, Grain, state);

        Assert.True(state.State!.Matches(new ShardProgress()));
        Assert.Equal((null, false), (state.ETag, state.RecordExists));
        Assert.Empty(Directory.GetFiles(_directory, "*.ckpt", SearchOption.AllDirectories));
        var read = new GrainState<ShardProgress>(new ShardProgress { Epoch = 7 });
        await storage.ReadStateAsync(StateName, Grain, read);
        Assert.False(read.RecordExists);
        // After a clear the grain writes again as new state.
        state.State = new ShardProgress { Epoch = 6 };
        await storage.WriteStateAsync(StateName, Grain, state);
        Assert.True(state.RecordExists);
    }

    [Fact]
    public async Task States_of_different_names_and_grains_are_independent()
    {
        var storage = Storage();
        var other = GrainId.Create("shard", "job-1/4");
        await storage.WriteStateAsync(StateName, Grain, new GrainState<ShardProgress>(new ShardProgress { Epoch = 1 }));
        await storage.WriteStateAsync("other", Grain, new GrainState<ShardProgress>(new ShardProgress { Epoch = 2 }));
        await storage.WriteStateAsync(StateName, other, new GrainState<ShardProgress>(new ShardProgress { Epoch = 3 }));

        foreach (var (name, grain, epoch) in new[] { (StateName, Grain, 1), ("other", Grain, 2), (StateName, other, 3) })
        {
            var read = new GrainState<ShardProgress>(new ShardProgress());
            await storage.ReadStateAsync(name, grain, read);
            Assert.Equal(epoch, read.State!.Epoch);
        }
    }

    [Fact]
    public async Task AddFileGrainStorage_registers_a_named_provider_with_its_own_directory()
    {
        var services = new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(ShardProgress).Assembly))
            .AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        new SiloBuilder(services).AddFileGrainStorage("state", options => options.Directory = _directory);
        await using var provider = services.BuildServiceProvider();

        var storage = Assert.IsType<FileGrainStorage>(provider.GetRequiredKeyedService<IGrainStorage>("state"));
        await storage.WriteStateAsync(StateName, Grain, new GrainState<ShardProgress>(new ShardProgress { Epoch = 4 }));

        var read = new GrainState<ShardProgress>(new ShardProgress());
        await Storage().ReadStateAsync(StateName, Grain, read);
        Assert.Equal(4, read.State!.Epoch);
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "hpf-cluster", "grain-state"),
            new FileGrainStorageOptions().Directory);
    }

    private FileGrainStorage Storage() => new("test", new FileGrainStorageOptions { Directory = _directory },
        _services.GetRequiredService<IGrainStorageSerializer>(), _services.GetRequiredService<IActivatorProvider>());

    private sealed class SiloBuilder(IServiceCollection services) : ISiloBuilder
    {
        public IServiceCollection Services => services;

        public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
    }
}
