using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// The layout of <c>GET /api/jobs/{job}/model</c>: a trained model, written shard by shard as the shards hand out
/// their rows, so neither the silo nor the wire ever holds the whole model. Little-endian throughout; floats are
/// their raw IEEE-754 bytes.
/// <code>
/// header   "HPFMODL1" (8 bytes ASCII), int32 version = 3, int32 K, int32 members M, int64 users, int64 items,
///          int32 user shards, int32 item shards
/// section  (one per shard: user shards 0.., then item shards 0..)
///          byte side (0 = users, 1 = items), int32 shard, int32 rows
///          pages until the section's rows are complete:
///            int32 n (≥ 1)
///            n ids, each int32 byte length + UTF-8 bytes
///            float32[n × K] shape, float32[n × K] rate (row-major), float32[n × M] activity rates (κrte or τrte, one per member)
/// groups   a budget job only (its options' model is budget): the job's item → group map, see ModelDownloadFormat.Budget.cs
/// trailer  "HPF-END!" (8 bytes ASCII)
/// </code>
/// Rows within a shard come in the shard's order; a reader sorts ids ordinally to get the engine's row order.
/// A download that broke off lacks the trailer (or ends inside a page), so it is never mistaken for a model.
/// </summary>
public static partial class ModelDownloadFormat
{
    // Version 2: the member count after K, and an activity per member. Version 3: a budget job's groups before the trailer.
    public const int Version = 3;
    public const string ContentType = "application/vnd.hpf.model";
    private static readonly byte[] Magic = "HPFMODL1"u8.ToArray();
    private static readonly byte[] Trailer = "HPF-END!"u8.ToArray();

    /// <summary>Aim for pages of about this many bytes: one grain call each, small against the shard, large against a call's cost.</summary>
    private const int PageBytes = 4 << 20;

    /// <summary>Rows per ModelRows call for K factors.</summary>
    public static int PageRows(int factors) => Math.Clamp(PageBytes / (8 * factors + 4 + 32), 64, 1 << 16);

    /// <summary>Writes the model of a completed job, reading its shards page by page.</summary>
    /// <exception cref="InvalidDataException">A shard answered with rows that do not fit its own totals.</exception>
    public static async Task WriteAsync(Stream destination, JobStatus status, ShardSet shards, CancellationToken cancellationToken)
    {
        var k = status.Spec.Training.Factors;
        var members = status.Spec.Training.Members;
        var data = status.Data ?? throw new InvalidOperationException($"job '{status.Job}' has no data summary; its model cannot be read out");
        var header = new ArrayBufferWriter<byte>(64);
        header.Write(Magic);
        WriteInt32(header, Version);
        WriteInt32(header, k);
        WriteInt32(header, members);
        WriteInt64(header, data.Users);
        WriteInt64(header, data.Items);
        WriteInt32(header, shards.Users.Length);
        WriteInt32(header, shards.Items.Length);
        await destination.WriteAsync(header.WrittenMemory, cancellationToken).ConfigureAwait(false);

        var pageRows = PageRows(k);
        var page = new ArrayBufferWriter<byte>(PageBytes + (1 << 16));
        for (var side = 0; side < 2; side++)
        {
            IShardGrain[] sideShards = side == 0 ? shards.Users : shards.Items;
            for (var shard = 0; shard < sideShards.Length; shard++)
            {
                var rows = await sideShards[shard].ModelRows(0, pageRows, cancellationToken).ConfigureAwait(false);
                var total = rows.TotalRows;
                page.ResetWrittenCount();
                page.Write([(byte)side]);
                WriteInt32(page, shard);
                WriteInt32(page, total);
                var start = 0;
                while (true)
                {
                    var n = rows.Ids.Length;
                    if (n == 0 && start < total || start + n > total)
                        throw new InvalidDataException($"shard {shard} of the {(side == 0 ? "users" : "items")} returned {n} rows at {start} of its {total}");
                    if (n > 0) WritePage(page, rows, k, members);
                    await destination.WriteAsync(page.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
                    page.ResetWrittenCount();
                    start += n;
                    if (start == total) break;
                    rows = await sideShards[shard].ModelRows(start, Math.Min(pageRows, total - start), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        if (status.Spec.Training.Model == ModelKind.Budget) await WriteGroupsAsync(destination, status, page, cancellationToken).ConfigureAwait(false);
        await destination.WriteAsync(Trailer, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a whole download into a model in the engine's row order (ids sorted ordinally).</summary>
    /// <param name="training">The job's training options (from its status): K and the priors the model carries.</param>
    /// <exception cref="InvalidDataException">Not a model download of this version, truncated, or inconsistent.</exception>
    public static async Task<HpfModel> ReadAsync(Stream source, TrainingOptions training, CancellationToken cancellationToken)
    {
        var reader = new DownloadReader(source);
        try
        {
            var magic = await reader.BytesAsync(Magic.Length, cancellationToken).ConfigureAwait(false);
            if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("the download is not an HPF model (wrong magic)");
            var version = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
            if (version != Version) throw new InvalidDataException($"the model download has layout version {version}; this client reads version {Version}");
            var k = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
            if (k != training.Factors) throw new InvalidDataException($"the model download has K = {k}, the job's options say {training.Factors}");
            var members = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
            if (members != training.Members) throw new InvalidDataException($"the model download has {members} members, the job's options say {training.Members}");
            var users = await reader.Int64Async(cancellationToken).ConfigureAwait(false);
            var items = await reader.Int64Async(cancellationToken).ConfigureAwait(false);
            if (users is < 0 or > int.MaxValue || items is < 0 or > int.MaxValue || (users + items) * k > Array.MaxLength)
                throw new InvalidDataException($"the model download claims {users} users and {items} items at K = {k}");
            var userShards = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
            var itemShards = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
            var userSide = new SideRows((int)users, k, members);
            var itemSide = new SideRows((int)items, k, members);
            for (var s = 0; s < userShards + itemShards; s++)
            {
                var expectedSide = s < userShards ? 0 : 1;
                var side = (await reader.BytesAsync(1, cancellationToken).ConfigureAwait(false))[0];
                var shard = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
                var rows = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
                if (side != expectedSide) throw new InvalidDataException($"section {s} of the model download is for side {side}, expected {expectedSide}");
                var target = side == 0 ? userSide : itemSide;
                var read = 0;
                while (read < rows)
                {
                    var n = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
                    if (n < 1 || n > rows - read) throw new InvalidDataException($"shard {shard}: a page of {n} rows where {rows - read} remain");
                    await target.ReadPageAsync(reader, n, cancellationToken).ConfigureAwait(false);
                    read += n;
                }
            }
            var groups = training.Model == ModelKind.Budget ? await ReadGroupsAsync(reader, cancellationToken).ConfigureAwait(false) : null;
            var trailer = await reader.BytesAsync(Trailer.Length, cancellationToken).ConfigureAwait(false);
            if (!trailer.AsSpan().SequenceEqual(Trailer)) throw new InvalidDataException("the model download does not end with its trailer");
            var (userIds, userShape, userRate, userActivity) = userSide.InRowOrder("user");
            var (itemIds, itemShape, itemRate, itemPopularity) = itemSide.InRowOrder("item");
            var model = new HpfModel(training, userIds, itemIds, userShape, userRate, userActivity, itemShape, itemRate, itemPopularity);
            return groups is null ? model : WithGroups(model, groups);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the model download broke off before its end");
        }
    }

    private static void WritePage(ArrayBufferWriter<byte> page, ShardRows rows, int k, int members)
    {
        var n = rows.Ids.Length;
        if (rows.Shape.Length != n * k || rows.Rate.Length != n * k || rows.ActivityRate.Length != n * members)
            throw new InvalidDataException($"a shard returned {n} ids with {rows.Shape.Length} shape, {rows.Rate.Length} rate and {rows.ActivityRate.Length} activity values at K = {k}, {members} members");
        WriteInt32(page, n);
        foreach (var id in rows.Ids)
        {
            var length = Encoding.UTF8.GetByteCount(id);
            WriteInt32(page, length);
            Encoding.UTF8.GetBytes(id, page.GetSpan(length));
            page.Advance(length);
        }
        WriteFloats(page, rows.Shape);
        WriteFloats(page, rows.Rate);
        WriteFloats(page, rows.ActivityRate);
    }

    private static void WriteInt32(IBufferWriter<byte> writer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    private static void WriteInt64(IBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    private static void WriteFloats(IBufferWriter<byte> writer, float[] values)
    {
        var bytes = values.Length * sizeof(float);
        var span = writer.GetSpan(bytes)[..bytes];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(span);
        }
        else
        {
            for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], values[i]);
        }
        writer.Advance(bytes);
    }

    /// <summary>Exact-length asynchronous reads from the response stream through one reusable buffer.</summary>
    private sealed class DownloadReader(Stream source)
    {
        private byte[] _buffer = new byte[1 << 16];

        public async ValueTask<byte[]> BytesAsync(int count, CancellationToken cancellationToken)
        {
            var bytes = new byte[count];
            await source.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            return bytes;
        }

        public async ValueTask<int> Int32Async(CancellationToken cancellationToken)
        {
            await source.ReadExactlyAsync(_buffer.AsMemory(0, 4), cancellationToken).ConfigureAwait(false);
            return BinaryPrimitives.ReadInt32LittleEndian(_buffer);
        }

        public async ValueTask<long> Int64Async(CancellationToken cancellationToken)
        {
            await source.ReadExactlyAsync(_buffer.AsMemory(0, 8), cancellationToken).ConfigureAwait(false);
            return BinaryPrimitives.ReadInt64LittleEndian(_buffer);
        }

        public async ValueTask<string> StringAsync(int byteLength, CancellationToken cancellationToken)
        {
            var span = await FillAsync(byteLength, cancellationToken).ConfigureAwait(false);
            return Encoding.UTF8.GetString(span.Span);
        }

        /// <summary>Reads <paramref name="count"/> floats into <paramref name="destination"/>.</summary>
        public async ValueTask FloatsAsync(float[] destination, int offset, int count, CancellationToken cancellationToken)
        {
            if ((long)count * sizeof(float) > Array.MaxLength) throw new InvalidDataException($"a page of {count} floats in the model download");
            var bytes = await FillAsync(count * sizeof(float), cancellationToken).ConfigureAwait(false);
            var target = destination.AsSpan(offset, count);
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(bytes.Span).CopyTo(target);
            }
            else
            {
                for (var i = 0; i < count; i++) target[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Span[(i * 4)..]);
            }
        }

        private async ValueTask<ReadOnlyMemory<byte>> FillAsync(int count, CancellationToken cancellationToken)
        {
            if (count < 0) throw new InvalidDataException($"a negative length ({count}) in the model download");
            if (_buffer.Length < count) _buffer = new byte[Math.Max(count, _buffer.Length * 2)];
            await source.ReadExactlyAsync(_buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            return _buffer.AsMemory(0, count);
        }
    }

    /// <summary>One side's rows as they arrive, then sorted into the engine's ordinal id order.</summary>
    private sealed class SideRows(int rows, int k, int members)
    {
        private readonly string[] _ids = new string[rows];
        private readonly float[] _shape = new float[(long)rows * k];
        private readonly float[] _rate = new float[(long)rows * k];
        private readonly float[] _activity = new float[rows * members];
        private int _count;

        public async ValueTask ReadPageAsync(DownloadReader reader, int n, CancellationToken cancellationToken)
        {
            if (n > rows - _count) throw new InvalidDataException($"the model download has more rows than the {rows} its header announced");
            for (var r = 0; r < n; r++)
            {
                var length = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
                _ids[_count + r] = await reader.StringAsync(length, cancellationToken).ConfigureAwait(false);
            }
            await reader.FloatsAsync(_shape, _count * k, n * k, cancellationToken).ConfigureAwait(false);
            await reader.FloatsAsync(_rate, _count * k, n * k, cancellationToken).ConfigureAwait(false);
            await reader.FloatsAsync(_activity, _count * members, n * members, cancellationToken).ConfigureAwait(false);
            _count += n;
        }

        public (string[] Ids, float[] Shape, float[] Rate, float[] Activity) InRowOrder(string side)
        {
            if (_count != rows) throw new InvalidDataException($"the model download has {_count} {side} rows; its header announced {rows}");
            var order = new int[rows];
            for (var r = 0; r < rows; r++) order[r] = r;
            var ids = (string[])_ids.Clone();
            Array.Sort(ids, order, StringComparer.Ordinal);
            for (var r = 1; r < rows; r++)
            {
                if (string.Equals(ids[r - 1], ids[r], StringComparison.Ordinal))
                    throw new InvalidDataException($"{side} '{ids[r]}' appears in two shards of the model download");
            }
            var shape = new float[_shape.Length];
            var rate = new float[_rate.Length];
            var activity = new float[rows * members];
            for (var r = 0; r < rows; r++)
            {
                var from = order[r];
                _shape.AsSpan(from * k, k).CopyTo(shape.AsSpan(r * k, k));
                _rate.AsSpan(from * k, k).CopyTo(rate.AsSpan(r * k, k));
                _activity.AsSpan(from * members, members).CopyTo(activity.AsSpan(r * members, members));
            }
            return (ids, shape, rate, activity);
        }
    }
}
