using System.Runtime.InteropServices;
using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// The binary layout of a saved job's <c>model.bin</c> (options, ids, the six float32 parameter arrays) and
/// <c>train.bin</c> (ids and the CSR arrays of the training set). Numbers are little-endian; arrays are written
/// as their raw bytes, so a model of millions of rows saves and loads at disk speed. Each file starts with a
/// magic, a format version and the save id that ties it to its <c>model.json</c>, and ends with an end marker
/// so that a truncated file is recognised as such.
/// </summary>
public static class ModelStoreFormat
{
    /// <summary>
    /// Version 2 adds the ensemble's member count to the options (and an activity per member); version 1 files read as
    /// one member. Version 3 adds the SVI batch fractions and the count transform; older files read without fractions and untransformed.
    /// Version 4 adds the model kind and the Gaussian hyperpriors to the options (older files read as HPF); a budget
    /// model's file adds the group ids and each item's group after the parameters, and a Gaussian model's file holds
    /// its rows' means and covariances and its hyperparameters in place of the Gamma arrays.
    /// </summary>
    public const int Version = 4;
    private static readonly byte[] ModelMagic = "HPFMODEL"u8.ToArray();
    private static readonly byte[] DatasetMagic = "HPFTRAIN"u8.ToArray();
    private static readonly byte[] EndMarker = "HPF-END!"u8.ToArray();

    public static void WriteModel(Stream stream, HpfModel model, Guid saveId)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        WriteHeader(writer, ModelMagic, saveId);
        WriteOptions(writer, model.Options);
        WriteIds(writer, model.UserIds);
        WriteIds(writer, model.ItemIds);
        WriteArray<float>(writer, model.UserShape);
        WriteArray<float>(writer, model.UserRate);
        WriteArray<float>(writer, model.UserActivityRate);
        WriteArray<float>(writer, model.ItemShape);
        WriteArray<float>(writer, model.ItemRate);
        WriteArray<float>(writer, model.ItemPopularityRate);
        if (model.Options.Model == ModelKind.Budget) WriteGroups(writer, model);
        writer.Write(EndMarker);
    }

    /// <exception cref="InvalidDataException">The stream is not a model file of this version, or is damaged.</exception>
    public static HpfModel ReadModel(Stream stream, out Guid saveId)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        saveId = ReadHeader(reader, ModelMagic, "model", out var version);
        var options = ReadOptions(reader, version);
        // The budget model is HPF's parameters plus the groups; only a Gaussian model is another shape of file.
        if (options.Model == ModelKind.Gaussian)
            throw new InvalidDataException($"it holds a {options.Model.ToString().ToLowerInvariant()} model, not an HPF model of counts");
        var userIds = ReadIds(reader);
        var itemIds = ReadIds(reader);
        var k = options.Factors;
        var userShape = ReadArray<float>(reader, (long)userIds.Length * k);
        var userRate = ReadArray<float>(reader, (long)userIds.Length * k);
        var userActivity = ReadArray<float>(reader, (long)userIds.Length * options.Members);
        var itemShape = ReadArray<float>(reader, (long)itemIds.Length * k);
        var itemRate = ReadArray<float>(reader, (long)itemIds.Length * k);
        var itemPopularity = ReadArray<float>(reader, (long)itemIds.Length * options.Members);
        var groups = options.Model == ModelKind.Budget ? ReadGroups(reader, itemIds.Length) : null;
        ReadEnd(reader);
        return new HpfModel(options, userIds, itemIds, userShape, userRate, userActivity, itemShape, itemRate, itemPopularity) { Groups = groups };
    }

    private static void WriteGroups(BinaryWriter writer, HpfModel model)
    {
        var groups = model.Groups ?? throw new ArgumentException("a budget model must have its item groups", nameof(model));
        WriteIds(writer, groups.GroupIds);
        WriteArray<int>(writer, groups.ItemGroup);
    }

    private static Budget.ItemGroups ReadGroups(BinaryReader reader, int items)
    {
        var groupIds = ReadIds(reader);
        var itemGroup = ReadArray<int>(reader, items);
        foreach (var g in itemGroup)
            if ((uint)g >= (uint)groupIds.Length) throw Damaged("an item's group index is out of range");
        return new Budget.ItemGroups(groupIds, itemGroup);
    }

    /// <summary>A Gaussian model: header, options, ids, then each side's means and covariances (float64) and the hyperparameters.</summary>
    public static void WriteGaussianModel(Stream stream, Gaussian.GaussianModel model, Guid saveId)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        WriteHeader(writer, ModelMagic, saveId);
        WriteOptions(writer, model.Options);
        WriteIds(writer, model.UserIds);
        WriteIds(writer, model.ItemIds);
        WriteArray<double>(writer, model.Users.Mean);
        WriteArray<double>(writer, model.Users.Covariance);
        WriteArray<double>(writer, model.Items.Mean);
        WriteArray<double>(writer, model.Items.Covariance);
        var h = model.Hyperparameters;
        writer.Write(h.Mu);
        writer.Write(h.NoiseVariance);
        foreach (var population in new[] { h.Users, h.Items })
        {
            WriteArray<double>(writer, population.Mean);
            WriteArray<double>(writer, population.Covariance);
        }
        writer.Write(EndMarker);
    }

    /// <exception cref="InvalidDataException">The stream is not a Gaussian model file, or is damaged.</exception>
    public static Gaussian.GaussianModel ReadGaussianModel(Stream stream, out Guid saveId)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        saveId = ReadHeader(reader, ModelMagic, "model", out var version);
        var options = ReadOptions(reader, version);
        if (options.Model != ModelKind.Gaussian)
            throw new InvalidDataException($"it holds a {options.Model.ToString().ToLowerInvariant()} model, not a Gaussian model of ratings");
        var userIds = ReadIds(reader);
        var itemIds = ReadIds(reader);
        var d = options.Factors + 1L;
        var users = new Gaussian.GaussianRows("user", userIds, options.Factors,
            ReadArray<double>(reader, userIds.Length * d), ReadArray<double>(reader, userIds.Length * d * d));
        var items = new Gaussian.GaussianRows("item", itemIds, options.Factors,
            ReadArray<double>(reader, itemIds.Length * d), ReadArray<double>(reader, itemIds.Length * d * d));
        var mu = reader.ReadDouble();
        var noise = reader.ReadDouble();
        var userPopulation = new GaussianPopulation(ReadArray<double>(reader, d), ReadArray<double>(reader, d * d));
        var itemPopulation = new GaussianPopulation(ReadArray<double>(reader, d), ReadArray<double>(reader, d * d));
        ReadEnd(reader);
        if (!double.IsFinite(mu) || !(noise > 0)) throw Damaged("the global mean or the noise variance is not a finite number");
        return new Gaussian.GaussianModel(options, users, items, new GaussianHyperparameters(mu, noise, userPopulation, itemPopulation));
    }

    public static void WriteDataset(Stream stream, Dataset dataset, Guid saveId)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        WriteHeader(writer, DatasetMagic, saveId);
        WriteIds(writer, dataset.UserIds);
        WriteIds(writer, dataset.ItemIds);
        WriteArray<int>(writer, dataset.ByUser.RowStart);
        WriteArray<int>(writer, dataset.ByUser.Other);
        WriteArray<float>(writer, dataset.ByUser.Counts);
        writer.Write(EndMarker);
    }

    /// <exception cref="InvalidDataException">The stream is not a training-set file of this version, or is damaged.</exception>
    public static Dataset ReadDataset(Stream stream, out Guid saveId)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        saveId = ReadHeader(reader, DatasetMagic, "training-set", out _);
        var userIds = ReadIds(reader);
        var itemIds = ReadIds(reader);
        var rowStart = ReadArray<int>(reader, userIds.Length + 1L);
        var nonzeros = rowStart[^1];
        var other = ReadArray<int>(reader, nonzeros);
        var counts = ReadArray<float>(reader, nonzeros);
        ReadEnd(reader);
        // Dataset trusts its arrays; a damaged file must not become an index out of range deep in training.
        if (rowStart[0] != 0) throw Damaged("the row offsets do not start at 0");
        for (var r = 0; r < userIds.Length; r++)
            if (rowStart[r + 1] < rowStart[r]) throw Damaged("the row offsets are not ascending");
        foreach (var o in other)
            if ((uint)o >= (uint)itemIds.Length) throw Damaged("an item index is out of range");
        return new Dataset(userIds, itemIds, new SparseRows(rowStart, other, counts));
    }

    private static void WriteHeader(BinaryWriter writer, byte[] magic, Guid saveId)
    {
        writer.Write(magic);
        writer.Write(Version);
        writer.Write(saveId.ToByteArray());
    }

    private static Guid ReadHeader(BinaryReader reader, byte[] magic, string what, out int version)
    {
        var seen = reader.ReadBytes(magic.Length);
        if (!seen.AsSpan().SequenceEqual(magic)) throw new InvalidDataException($"not an HPF {what} file");
        version = reader.ReadInt32();
        if (version is < 1 or > Version) throw new InvalidDataException($"HPF {what} file format version {version} is not supported (this build reads version {Version})");
        return new Guid(ReadExactly(reader, 16));
    }

    private static void ReadEnd(BinaryReader reader)
    {
        var seen = ReadExactly(reader, EndMarker.Length);
        if (!seen.AsSpan().SequenceEqual(EndMarker)) throw Damaged("the end marker is missing");
        if (reader.BaseStream.CanSeek && reader.BaseStream.Position != reader.BaseStream.Length)
            throw Damaged("there are bytes after the end marker");
    }

    private static void WriteOptions(BinaryWriter writer, TrainingOptions o)
    {
        writer.Write(o.Factors);
        var p = o.Priors;
        writer.Write(p.A); writer.Write(p.APrime); writer.Write(p.BPrime);
        writer.Write(p.C); writer.Write(p.CPrime); writer.Write(p.DPrime);
        writer.Write(o.MaxIterations);
        writer.Write((int)o.Stop);
        writer.Write(o.CheckEvery);
        writer.Write(o.StopThreshold);
        writer.Write(o.UsersPerBatch ?? -1);
        writer.Write(o.ItemsPerBatch ?? -1);
        writer.Write(o.StepTau0);
        writer.Write(o.StepKappa);
        writer.Write((int)o.StepSchedule);
        writer.Write(o.Seed);
        writer.Write(o.Threads);
        writer.Write(o.Members);
        writer.Write(o.UserBatchFraction ?? -1);
        writer.Write(o.ItemBatchFraction ?? -1);
        writer.Write((int)o.Transform);
        writer.Write((int)o.Model);
        var g = o.GaussianPriors;
        writer.Write(g.VarianceShape); writer.Write(g.VarianceScale); writer.Write(g.MeanPseudoRows);
        writer.Write(g.NoiseShape); writer.Write(g.NoiseScale);
    }

    private static TrainingOptions ReadOptions(BinaryReader reader, int version)
    {
        var factors = reader.ReadInt32();
        var priors = new HpfPriors(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        var options = new TrainingOptions
        {
            Factors = factors,
            Priors = priors,
            MaxIterations = reader.ReadInt32(),
            Stop = ReadEnum<StopRule>(reader),
            CheckEvery = reader.ReadInt32(),
            StopThreshold = reader.ReadDouble(),
            UsersPerBatch = OptionalCount(reader.ReadInt32()),
            ItemsPerBatch = OptionalCount(reader.ReadInt32()),
            StepTau0 = reader.ReadDouble(),
            StepKappa = reader.ReadDouble(),
            StepSchedule = ReadEnum<StepSchedule>(reader),
            Seed = reader.ReadUInt64(),
            Threads = reader.ReadInt32(),
        };
        // A count equal to the one K gives stays unset (as a job with the default was given): the same model either way,
        // and the options read back equal the ones saved.
        var members = version >= 2 ? reader.ReadInt32() : 1;
        if (members != options.Members) options = options with { Members = members };
        if (version >= 3) options = options with { UserBatchFraction = OptionalFraction(reader.ReadDouble()), ItemBatchFraction = OptionalFraction(reader.ReadDouble()) };
        // Older files were trained on the counts as read.
        options = options with { Transform = version >= 3 ? ReadEnum<CountTransform>(reader) : CountTransform.None };
        // Files before version 4 hold HPF models.
        if (version >= 4)
        {
            options = options with
            {
                Model = ReadEnum<ModelKind>(reader),
                GaussianPriors = new GaussianPriors
                {
                    VarianceShape = reader.ReadDouble(), VarianceScale = reader.ReadDouble(), MeanPseudoRows = reader.ReadDouble(),
                    NoiseShape = reader.ReadDouble(), NoiseScale = reader.ReadDouble(),
                },
            };
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw Damaged($"the stored training options are out of range ({e.Message})");
        }
        return options;
    }

    private static int? OptionalCount(int value) => value < 0 ? null : value;

    private static double? OptionalFraction(double value) => value < 0 ? null : value;

    private static T ReadEnum<T>(BinaryReader reader) where T : struct, Enum
    {
        var value = reader.ReadInt32();
        var result = (T)Enum.ToObject(typeof(T), value);
        if (!Enum.IsDefined(result)) throw Damaged($"{value} is not a {typeof(T).Name}");
        return result;
    }

    private static void WriteIds(BinaryWriter writer, string[] ids)
    {
        writer.Write(ids.Length);
        foreach (var id in ids) writer.Write(id);
    }

    private static string[] ReadIds(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        // Every id takes at least its one-byte length prefix: a count beyond the bytes left is damage, not a huge model.
        if (count < 0 || count > Remaining(reader)) throw Damaged($"an id count of {count} does not fit the file");
        var ids = new string[count];
        for (var n = 0; n < count; n++) ids[n] = reader.ReadString();
        // Dense indices are ordinal ranks (Dataset, HpfModel): lookups binary-search these arrays.
        for (var n = 1; n < count; n++)
            if (string.CompareOrdinal(ids[n - 1], ids[n]) >= 0) throw Damaged("the ids are not in ascending ordinal order");
        return ids;
    }

    private static void WriteArray<T>(BinaryWriter writer, T[] values) where T : unmanaged
    {
        writer.Write(values.Length);
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        var buffer = new T[Math.Min(values.Length, 1 << 16)];
        for (var start = 0; start < values.Length; start += buffer.Length)
        {
            var chunk = Math.Min(buffer.Length, values.Length - start);
            values.AsSpan(start, chunk).CopyTo(buffer);
            var bytes = MemoryMarshal.AsBytes(buffer.AsSpan(0, chunk));
            ReverseEach(bytes, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
            writer.Write(bytes);
        }
    }

    private static T[] ReadArray<T>(BinaryReader reader, long expectedLength) where T : unmanaged
    {
        var length = reader.ReadInt32();
        if (length != expectedLength) throw Damaged($"an array has {length} values where {expectedLength} were expected");
        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if ((long)length * size > Remaining(reader)) throw Damaged("the file ends inside an array (truncated)");
        var values = new T[length];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        try
        {
            reader.BaseStream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw Damaged("the file ends inside an array (truncated)");
        }
        if (!BitConverter.IsLittleEndian) ReverseEach(bytes, size);
        return values;
    }

    private static void ReverseEach(Span<byte> bytes, int size)
    {
        for (var n = 0; n < bytes.Length; n += size) bytes.Slice(n, size).Reverse();
    }

    private static byte[] ReadExactly(BinaryReader reader, int count)
    {
        var bytes = reader.ReadBytes(count);
        if (bytes.Length != count) throw Damaged("the file is truncated");
        return bytes;
    }

    private static long Remaining(BinaryReader reader) =>
        reader.BaseStream.CanSeek ? reader.BaseStream.Length - reader.BaseStream.Position : long.MaxValue;

    private static InvalidDataException Damaged(string reason) => new($"damaged file: {reason}");
}
