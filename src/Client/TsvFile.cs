using System.Text;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client;

/// <summary>Writes a dataset as TSV so that a cancelled or failed write leaves no partial file under the name asked for.</summary>
internal static class TsvFile
{
    public static void WriteAtomically(string path, Dataset data, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        var temporary = $"{full}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16))
            {
                data.WriteTsv(writer, cancellationToken);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
