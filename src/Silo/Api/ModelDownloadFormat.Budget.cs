using System.Buffers;
using System.Text;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// A budget job's groups in the model download, after the item sections and before the trailer:
/// <code>
/// groups   int32 n, then n pairs (item id, group id), each id an int32 byte length + UTF-8 bytes
/// </code>
/// The pairs are the job's item → group map as it was created with (items in ordinal order), so a downloaded or
/// pulled budget model keeps its groups; the reader keeps those of the model's items.
/// </summary>
public static partial class ModelDownloadFormat
{
    /// <summary>Pairs written per flush: a page of ids, like a page of rows.</summary>
    private const int GroupPairsPerPage = 1 << 15;

    private static async Task WriteGroupsAsync(Stream destination, JobStatus status, ArrayBufferWriter<byte> page, CancellationToken cancellationToken)
    {
        var table = status.Spec.Groups ?? throw new InvalidOperationException($"budget job '{status.Job}' has no item → group map");
        page.ResetWrittenCount();
        WriteInt32(page, table.Items.Length);
        for (var n = 0; n < table.Items.Length; n++)
        {
            WriteString(page, table.Items[n]);
            WriteString(page, table.Groups[n]);
            if ((n + 1) % GroupPairsPerPage != 0) continue;
            await destination.WriteAsync(page.WrittenMemory, cancellationToken).ConfigureAwait(false);
            page.ResetWrittenCount();
        }
        await destination.WriteAsync(page.WrittenMemory, cancellationToken).ConfigureAwait(false);
        page.ResetWrittenCount();
    }

    private static async Task<ItemGroupTable> ReadGroupsAsync(DownloadReader reader, CancellationToken cancellationToken)
    {
        var count = await reader.Int32Async(cancellationToken).ConfigureAwait(false);
        if (count < 1 || count > Array.MaxLength) throw new InvalidDataException($"the model download's groups section claims {count} items");
        var items = new string[count];
        var groups = new string[count];
        for (var n = 0; n < count; n++)
        {
            items[n] = await reader.StringAsync(await reader.Int32Async(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            groups[n] = await reader.StringAsync(await reader.Int32Async(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        return new ItemGroupTable(items, groups);
    }

    private static HpfModel WithGroups(HpfModel model, ItemGroupTable table)
    {
        try
        {
            return ItemGroupMap.WithGroups(model, table);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"the model download's groups do not cover its items: {e.Message}", e);
        }
    }

    private static void WriteString(ArrayBufferWriter<byte> writer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(writer, length);
        Encoding.UTF8.GetBytes(value, writer.GetSpan(length));
        writer.Advance(length);
    }
}
