using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// One saved job: its manifest is read when the entry is opened; the model and the training set are read
/// on demand, because predicting needs only the first and listing needs neither.
/// </summary>
public sealed class JobStoreEntry
{
    internal JobStoreEntry(string directory, JobStoreManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    public string Name => Manifest.Name;
    public string Directory { get; }
    public JobStoreManifest Manifest { get; }

    public string ModelPath => Path.Combine(Directory, JobStore.ModelFileName);
    public string TrainingSetPath => Path.Combine(Directory, JobStore.TrainingSetFileName);
    public string ManifestPath => Path.Combine(Directory, JobStore.ManifestFileName);

    /// <exception cref="JobStoreException">model.bin is missing, damaged, or from another save than model.json.</exception>
    public HpfModel LoadModel() => Read(ModelPath, stream =>
    {
        var model = ModelStoreFormat.ReadModel(stream, out var saveId);
        return (model, saveId);
    });

    /// <exception cref="JobStoreException">model.bin is missing, damaged, not a Gaussian model, or from another save than model.json.</exception>
    public Gaussian.GaussianModel LoadGaussianModel() => Read(ModelPath, stream =>
    {
        var model = ModelStoreFormat.ReadGaussianModel(stream, out var saveId);
        return (model, saveId);
    });

    /// <exception cref="JobStoreException">train.bin is missing, damaged, or from another save than model.json.</exception>
    public Dataset LoadTrainingSet() => Read(TrainingSetPath, stream =>
    {
        var data = ModelStoreFormat.ReadDataset(stream, out var saveId);
        return (data, saveId);
    });

    private T Read<T>(string path, Func<Stream, (T Value, Guid SaveId)> read)
    {
        (T Value, Guid SaveId) loaded;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            loaded = read(stream);
        }
        catch (FileNotFoundException e)
        {
            throw new JobStoreException(JobStoreFailure.Damaged, $"job '{Name}' is incomplete: {path} is missing", e);
        }
        // FormatException and IOException come from BinaryReader.ReadString on a garbled length prefix.
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException or ArgumentException)
        {
            throw new JobStoreException(JobStoreFailure.Damaged, $"job '{Name}': {path}: {e.Message}", e);
        }
        // A crash between renaming the new model.bin and the new model.json would leave a mix of two saves.
        if (loaded.SaveId != Manifest.SaveId)
            throw new JobStoreException(JobStoreFailure.Damaged, $"job '{Name}': {path} does not belong to its model.json (the save was interrupted); train the job again");
        return loaded.Value;
    }
}
