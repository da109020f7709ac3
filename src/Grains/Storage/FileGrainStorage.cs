using Orleans;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Hpf.Cluster.Grains.Storage;

/// <summary>
/// Small grain state (<c>IPersistentState&lt;T&gt;</c>) for the local profile, as files: one per grain under
/// <c>{directory}/{stateName}/{grainId}</c>, written atomically with the etag in the file, on the same file format and
/// locking as <see cref="FileCheckpointStore"/>. Large state belongs in an <see cref="ICheckpointStore"/> instead:
/// this serializes the whole state in memory, as Orleans' serializers do.
/// </summary>
public sealed class FileGrainStorage : IGrainStorage
{
    private readonly string _name;
    private readonly FileCheckpointStore _files;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;

    public FileGrainStorage(string name, FileGrainStorageOptions options, IGrainStorageSerializer serializer, IActivatorProvider activators)
    {
        ArgumentNullException.ThrowIfNull(options);
        _name = name;
        _files = new FileCheckpointStore(new FileCheckpointStoreOptions { Directory = options.Directory });
        _serializer = options.GrainStorageSerializer ?? serializer ?? throw new ArgumentNullException(nameof(serializer));
        _activators = activators ?? throw new ArgumentNullException(nameof(activators));
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        T? state = default;
        var etag = await _files.ReadAsync(stateName, grainId.ToString(), async (stream, ct) =>
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            state = _serializer.Deserialize<T>(new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)));
        }, cancellationToken);

        grainState.State = state ?? NewState<T>();
        grainState.ETag = etag;
        grainState.RecordExists = etag is not null;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var data = _serializer.Serialize(grainState.State);
        try
        {
            grainState.ETag = await _files.WriteAsync(stateName, grainId.ToString(),
                (stream, ct) => stream.WriteAsync(data.ToMemory(), ct).AsTask(), grainState.ETag, cancellationToken);
        }
        catch (CheckpointConflictException e)
        {
            throw Inconsistent("write", e);
        }
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        try
        {
            await _files.ClearAsync(stateName, grainId.ToString(), grainState.ETag, cancellationToken);
        }
        catch (CheckpointConflictException e)
        {
            throw Inconsistent("clear", e);
        }
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = NewState<T>();
    }

    private T NewState<T>() => _activators.GetActivator<T>().Create();

    private InconsistentStateException Inconsistent(string operation, CheckpointConflictException conflict) =>
        new($"File grain storage {_name} refused to {operation} state {conflict.GrainType} of grain {conflict.GrainId}: "
            + $"it holds etag {conflict.ActualETag ?? "(no state)"}, the grain expected {conflict.ExpectedETag ?? "(no state)"}.",
            conflict.ActualETag, conflict.ExpectedETag, conflict);
}
