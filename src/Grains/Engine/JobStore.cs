using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// Saved jobs under a data directory: <c>&lt;data-dir&gt;/jobs/&lt;job-name&gt;/</c> holds <c>model.bin</c>,
/// <c>train.bin</c> and <c>model.json</c>. Every file is written to a temporary name, flushed to disk and
/// renamed over the old one, so a crash never leaves a half-written file; model.json is renamed last and a
/// save id ties the three together, so a crash between renames is detected on load rather than mixing models.
/// </summary>
public sealed class JobStore
{
    public const string ModelFileName = "model.bin";
    public const string TrainingSetFileName = "train.bin";
    public const string ManifestFileName = "model.json";
    public const string ThetaFileName = "theta.tsv";
    public const string BetaFileName = "beta.tsv";
    /// <summary>A budget model's item → group map, exported beside theta and beta.</summary>
    public const string GroupsFileName = "groups.tsv";
    /// <summary>Overrides the default data directory; a <c>--data-dir</c> option overrides both.</summary>
    public const string DataDirectoryVariable = "HPF_DATA_DIR";
    public const int MaxNameLength = 128;

    /// <summary>camelCase, indented, enums as kebab-case words: the file is read by people as well as programs.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public JobStore(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        JobsDirectory = Path.Combine(DataDirectory, "jobs");
    }

    public string DataDirectory { get; }
    public string JobsDirectory { get; }

    /// <summary>The data directory to use: <paramref name="explicitDirectory"/> if given, else $HPF_DATA_DIR, else LocalApplicationData/hpf.</summary>
    public static string ResolveDataDirectory(string? explicitDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return explicitDirectory;
        var fromEnvironment = Environment.GetEnvironmentVariable(DataDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return fromEnvironment;
        return DefaultDataDirectory;
    }

    /// <summary>LocalApplicationData/hpf: where jobs go when neither an option nor $HPF_DATA_DIR says otherwise.</summary>
    public static string DefaultDataDirectory => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "hpf");

    /// <summary>Why <paramref name="name"/> cannot name a job, or null when it can.</summary>
    public static string? NameProblem(string name)
    {
        if (name.Length == 0) return "a job name cannot be empty";
        if (name.Length > MaxNameLength) return $"job name '{name}' is longer than {MaxNameLength} characters";
        // Names become directory names: no separators, no '..', and no leading dot (hidden files, temporaries).
        if (name[0] == '.') return $"job name '{name}' cannot start with '.'";
        foreach (var c in name)
        {
            if (!IsNameCharacter(c))
                return $"job name '{name}' has the character '{c}'; use letters, digits, '-', '_' and '.' only (no path separators)";
        }
        return null;
    }

    /// <exception cref="JobStoreException">The name is not valid (<see cref="JobStoreFailure.InvalidName"/>).</exception>
    public static void ValidateName(string name)
    {
        if (NameProblem(name) is { } problem) throw new JobStoreException(JobStoreFailure.InvalidName, problem);
    }

    /// <summary>A valid job name made from a data file's name: the name without extension, other characters replaced by '_'.</summary>
    public static string SuggestName(string dataFile)
    {
        var stem = Path.GetFileNameWithoutExtension(dataFile);
        var name = new StringBuilder(Math.Min(stem.Length, MaxNameLength));
        foreach (var c in stem)
        {
            if (name.Length == MaxNameLength) break;
            name.Append(IsNameCharacter(c) ? c : '_');
        }
        while (name.Length > 0 && name[0] == '.') name.Remove(0, 1);
        return name.Length > 0 ? name.ToString() : "job";
    }

    public string DirectoryOf(string name)
    {
        ValidateName(name);
        return Path.Combine(JobsDirectory, name);
    }

    public bool Exists(string name) => File.Exists(Path.Combine(DirectoryOf(name), ManifestFileName));

    /// <summary>Saves (or replaces) a job; returns it as stored, with its new save id.</summary>
    public JobStoreEntry Save(JobStoreManifest manifest, HpfModel model, Dataset train, CancellationToken cancellationToken = default)
    {
        var directory = DirectoryOf(manifest.Name);
        if (model.Users != train.Users || model.Items != train.Items)
            throw new ArgumentException("the model and the training set do not have the same users and items");
        cancellationToken.ThrowIfCancellationRequested();
        var saved = manifest with { SaveId = Guid.NewGuid() };
        Directory.CreateDirectory(directory);
        WriteSideBySide(
            () => AtomicFile.Write(Path.Combine(directory, TrainingSetFileName), stream => ModelStoreFormat.WriteDataset(stream, train, saved.SaveId)),
            () => AtomicFile.Write(Path.Combine(directory, ModelFileName), stream => ModelStoreFormat.WriteModel(stream, model, saved.SaveId)));
        AtomicFile.Write(Path.Combine(directory, ManifestFileName), stream => JsonSerializer.Serialize(stream, saved, JsonOptions));
        return new JobStoreEntry(directory, saved);
    }

    /// <summary>
    /// Writes the training set and the model at once, each to its own file: at 48M nonzeros they are 0.4 and 0.6 GB, and
    /// copying them into the page cache and onto the disk one after the other took 3 s. Both are written before the
    /// manifest, which names the save, whatever order they finish in. A failure is thrown as it was raised (the second
    /// write's if both fail), and only once neither write is running.
    /// </summary>
    private static void WriteSideBySide(Action first, Action second)
    {
        var firstWrite = Task.Run(first);
        try
        {
            second();
        }
        finally
        {
            ((IAsyncResult)firstWrite).AsyncWaitHandle.WaitOne();
        }
        firstWrite.GetAwaiter().GetResult();
    }

    /// <summary>Saves (or replaces) a job of the Gaussian model; returns it as stored, with its new save id.</summary>
    public JobStoreEntry Save(JobStoreManifest manifest, Gaussian.GaussianModel model, Dataset train, CancellationToken cancellationToken = default)
    {
        var directory = DirectoryOf(manifest.Name);
        if (model.Users.Rows != train.Users || model.Items.Rows != train.Items)
            throw new ArgumentException("the model and the training set do not have the same users and items");
        cancellationToken.ThrowIfCancellationRequested();
        var saved = manifest with { SaveId = Guid.NewGuid() };
        Directory.CreateDirectory(directory);
        WriteSideBySide(
            () => AtomicFile.Write(Path.Combine(directory, TrainingSetFileName), stream => ModelStoreFormat.WriteDataset(stream, train, saved.SaveId)),
            () => AtomicFile.Write(Path.Combine(directory, ModelFileName), stream => ModelStoreFormat.WriteGaussianModel(stream, model, saved.SaveId)));
        AtomicFile.Write(Path.Combine(directory, ManifestFileName), stream => JsonSerializer.Serialize(stream, saved, JsonOptions));
        return new JobStoreEntry(directory, saved);
    }

    /// <exception cref="JobStoreException">No such job, or its model.json is unreadable.</exception>
    public JobStoreEntry Open(string name)
    {
        var directory = DirectoryOf(name);
        var path = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(path))
            throw new JobStoreException(JobStoreFailure.NotFound, $"job '{name}' not found in {JobsDirectory}");
        var manifest = ReadManifest(path);
        if (manifest.Name != name)
            throw new JobStoreException(JobStoreFailure.Damaged, $"job '{name}': {path} names job '{manifest.Name}'");
        return new JobStoreEntry(directory, manifest);
    }

    /// <summary>Every job with a model.json, ordered by name; directories whose model.json cannot be read are named in Unreadable.</summary>
    public JobStoreListing List()
    {
        var jobs = new List<JobStoreEntry>();
        var unreadable = new List<string>();
        if (!Directory.Exists(JobsDirectory)) return new JobStoreListing(jobs, unreadable);
        foreach (var directory in Directory.EnumerateDirectories(JobsDirectory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(directory);
            var path = Path.Combine(directory, ManifestFileName);
            if (NameProblem(name) is not null || !File.Exists(path)) continue;
            try
            {
                jobs.Add(Open(name));
            }
            catch (JobStoreException e)
            {
                unreadable.Add(e.Message);
            }
        }
        return new JobStoreListing(jobs, unreadable);
    }

    /// <summary>
    /// Writes theta.tsv (E[θ]/M, one row per user, M the ensemble's members), beta.tsv (E[β], one row per item),
    /// for a budget model groups.tsv (each item's group), and model.json into <paramref name="directory"/>: the dot
    /// product of a user's and an item's rows is the predicted count.
    /// </summary>
    /// <param name="header">Start each TSV with a line naming its columns (<c>user</c> or <c>item</c>, then <c>f1</c> … <c>fK</c>).</param>
    public static void Export(HpfModel model, JobStoreManifest manifest, string directory, CancellationToken cancellationToken = default, bool header = true)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, ThetaFileName), stream => WriteFactors(stream, header ? "user" : null, model.UserIds, model.UserFactorMatrix(), model.Factors, cancellationToken));
        AtomicFile.Write(Path.Combine(directory, BetaFileName), stream => WriteFactors(stream, header ? "item" : null, model.ItemIds, model.ItemFactorMatrix(), model.Factors, cancellationToken));
        if (model.Groups is { } groups) AtomicFile.Write(Path.Combine(directory, GroupsFileName), stream => groups.WriteTsv(stream, model.ItemIds, header, cancellationToken));
        AtomicFile.Write(Path.Combine(directory, ManifestFileName), stream => JsonSerializer.Serialize(stream, manifest, JsonOptions));
    }

    private static JobStoreManifest ReadManifest(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<JobStoreManifest>(stream, JsonOptions)
                ?? throw new JobStoreException(JobStoreFailure.Damaged, $"{path}: the file holds null");
        }
        catch (JsonException e)
        {
            throw new JobStoreException(JobStoreFailure.Damaged, $"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// <c>id&lt;TAB&gt;f1&lt;TAB&gt;…&lt;TAB&gt;fK</c>, shortest round-trip float text in the invariant culture, after a
    /// header line <c>{idColumn}&lt;TAB&gt;f1…</c> unless <paramref name="idColumn"/> is null.
    /// </summary>
    private static void WriteFactors(Stream stream, string? idColumn, string[] ids, float[] values, int k, CancellationToken cancellationToken)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        if (idColumn is not null)
        {
            writer.Write(idColumn);
            for (var f = 1; f <= k; f++) writer.Write($"\tf{f}");
            writer.Write('\n');
        }
        Span<char> number = stackalloc char[32];
        for (var row = 0; row < ids.Length; row++)
        {
            if ((row & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            var id = ids[row];
            // An id with a tab or line break cannot be written as one TSV field without altering it.
            if (id.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0)
                throw new InvalidDataException($"id '{id}' contains a tab or a line break and cannot be exported to TSV");
            writer.Write(id);
            foreach (var value in values.AsSpan(row * k, k))
            {
                writer.Write('\t');
                value.TryFormat(number, out var written, "R", CultureInfo.InvariantCulture);
                writer.Write(number[..written]);
            }
            writer.Write('\n');
        }
    }

    private static bool IsNameCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}
