using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client;

/// <summary>Writes a dataset as TSV so that a cancelled or failed write leaves no partial file under the name asked for.</summary>
internal static class TsvFile
{
    public static void WriteAtomically(string path, Dataset data, CancellationToken cancellationToken) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
            data.WriteTsv(writer, cancellationToken);
        });
}
