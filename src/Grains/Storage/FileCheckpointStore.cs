using System.Security.Cryptography;
using System.Text;

namespace Hpf.Cluster.Grains.Storage;

/// <summary>
/// Checkpoints as files, for the local profile: one file per grain, <c>{directory}/{type}/{id}.ckpt</c> with both names
/// escaped, holding a small header with the etag followed by the state, so the etag survives restarts and changes
/// with the data in one rename. Several stores, in one process or several, may share a directory. A process that
/// dies mid-write can leave a <c>*.tmp</c> file beside the data: it is never read, and may be deleted.
/// </summary>
public sealed class FileCheckpointStore : ICheckpointStore
{
    private const string DataSuffix = ".ckpt";
    private const string LockSuffix = ".lock";
    private const string TempSuffix = ".tmp";

    // Header: magic, then the etag as 32 ASCII hex digits (a Guid in "N" form).
    private const int ETagLength = 32;
    private static readonly byte[] Magic = "HPFCKPT1"u8.ToArray();
    private static readonly int HeaderLength = Magic.Length + ETagLength;

    // Commits are a re-read of the header and a rename, so waiting this long for the lock means something is wrong
    // (a hung process on the same directory) rather than busy.
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private const int BufferSize = 1 << 16;

    // Per-key in-process locks, striped so the set stays bounded however many grains pass through.
    private readonly SemaphoreSlim[] _gates = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly string _directory;

    public FileCheckpointStore(FileCheckpointStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Directory);
        _directory = Path.GetFullPath(options.Directory);
    }

    /// <summary>The full path of the data directory.</summary>
    public string DirectoryPath => _directory;

    public async Task<string?> ReadAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> readState, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        ArgumentNullException.ThrowIfNull(readState);
        var paths = PathsOf(grainType, grainId);
        // The open handle keeps this version's file alive while a writer renames a new one over it, so the callback
        // reads one whole version however long it takes.
        var file = OpenForRead(paths.Data, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (file is null) return null;
        await using (file)
        {
            var etag = await ReadHeaderAsync(file, paths.Data, cancellationToken);
            await using var state = new ForwardOnlyStream(file, writable: false);
            await readState(state, cancellationToken);
            return etag;
        }
    }

    public async Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        ArgumentNullException.ThrowIfNull(writeState);
        var paths = PathsOf(grainType, grainId);
        // Checked before the state is written too, so a stale writer is refused before it spends time on a large state.
        await CheckETagAsync(grainType, grainId, paths.Data, expectedETag, cancellationToken);
        Directory.CreateDirectory(paths.Folder);

        var etag = CheckpointKey.NewETag();
        var temp = Path.Combine(paths.Folder, $"{paths.Name}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            // The temp file sits in the same directory so the rename below stays on one file system, hence atomic.
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
            await using (file)
            {
                await file.WriteAsync(Header(etag), cancellationToken);
                await using (var state = new ForwardOnlyStream(file, writable: true))
                    await writeState(state, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                await file.FlushAsync(cancellationToken);
                // On disk before it is renamed into place: a crash then leaves the old file or the new one, never a torn one.
                file.Flush(flushToDisk: true);
            }

            using (await LockAsync(paths, cancellationToken))
            {
                // Checked again under the lock: another writer may have committed while the callback ran.
                await CheckETagAsync(grainType, grainId, paths.Data, expectedETag, CancellationToken.None);
                File.Move(temp, paths.Data, overwrite: true);
            }
            return etag;
        }
        finally
        {
            // Gone already after a commit; after a failure this drops the partial state.
            File.Delete(temp);
        }
    }

    public async Task ClearAsync(string grainType, string grainId, string? expectedETag, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        cancellationToken.ThrowIfCancellationRequested();
        var paths = PathsOf(grainType, grainId);
        await CheckETagAsync(grainType, grainId, paths.Data, expectedETag, cancellationToken);
        if (expectedETag is null) return;
        using (await LockAsync(paths, cancellationToken))
        {
            await CheckETagAsync(grainType, grainId, paths.Data, expectedETag, CancellationToken.None);
            File.Delete(paths.Data);
        }
    }

    private async Task CheckETagAsync(string grainType, string grainId, string dataPath, string? expectedETag, CancellationToken cancellationToken)
    {
        var actual = await ReadETagAsync(dataPath, cancellationToken);
        if (!string.Equals(actual, expectedETag, StringComparison.Ordinal))
            throw new CheckpointConflictException(grainType, grainId, expectedETag, actual);
    }

    private static async Task<string?> ReadETagAsync(string dataPath, CancellationToken cancellationToken)
    {
        var file = OpenForRead(dataPath, FileOptions.None);
        if (file is null) return null;
        await using (file)
            return await ReadHeaderAsync(file, dataPath, cancellationToken);
    }

    private static FileStream? OpenForRead(string path, FileOptions options)
    {
        try
        {
            // Delete sharing lets a writer rename over (or clear) the file while it is being read.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, options);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static async Task<string> ReadHeaderAsync(FileStream file, string path, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderLength];
        try
        {
            await file.ReadExactlyAsync(header, cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is not a checkpoint file: it is shorter than the header.", e);
        }
        if (!header.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a checkpoint file: its header is not {Encoding.ASCII.GetString(Magic)}.");
        return Encoding.ASCII.GetString(header, Magic.Length, ETagLength);
    }

    private static byte[] Header(string etag)
    {
        var header = new byte[HeaderLength];
        Magic.CopyTo(header, 0);
        Encoding.ASCII.GetBytes(etag, header.AsSpan(Magic.Length));
        return header;
    }

    /// <summary>
    /// Takes the key's in-process lock, then an exclusive lock file beside the data, so that neither another store
    /// in this process nor another process on the same directory can commit between our etag check and rename.
    /// </summary>
    private async Task<IDisposable> LockAsync(KeyPaths paths, CancellationToken cancellationToken)
    {
        var gate = _gates[(uint)StringComparer.Ordinal.GetHashCode(paths.Data) % (uint)_gates.Length];
        await gate.WaitAsync(cancellationToken);
        try
        {
            var deadline = DateTime.UtcNow + LockTimeout;
            for (var delay = 1; ; delay = Math.Min(2 * delay, 50))
            {
                try
                {
                    // FileShare.None is an exclusive flock on Unix and a share-mode lock on Windows; both are dropped
                    // by the OS if the holder dies. The lock file is never deleted, so every process locks the same inode.
                    var lockFile = new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
                    return new Held(gate, lockFile);
                }
                catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
                {
                    if (DateTime.UtcNow > deadline)
                        throw new TimeoutException($"The lock file {paths.Lock} stayed locked by another process for {LockTimeout.TotalSeconds:0} s.", e);
                }
                await Task.Delay(delay, cancellationToken);
            }
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    private KeyPaths PathsOf(string grainType, string grainId)
    {
        var folder = Path.Combine(_directory, EscapeName(grainType));
        var name = EscapeName(grainId);
        return new KeyPaths(folder, name, Path.Combine(folder, name + DataSuffix), Path.Combine(folder, name + LockSuffix));
    }

    /// <summary>
    /// Maps any string to one file name, distinct strings to distinct names: letters, digits, '-' and '_' stay
    /// (keeping names readable), every other UTF-8 byte becomes %XX, so no name holds a '.', a separator or "..".
    /// Names too long for a file system become '~' and a SHA-256 of the string ('~' is always escaped otherwise).
    /// </summary>
    internal static string EscapeName(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var escaped = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_')
                escaped.Append((char)b);
            else
                escaped.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        // 255 bytes is the usual limit; leave room for ".{guid}.tmp".
        return escaped.Length <= 200 ? escaped.ToString() : "~" + Convert.ToHexString(SHA256.HashData(bytes));
    }

    private readonly record struct KeyPaths(string Folder, string Name, string Data, string Lock);

    private sealed class Held(SemaphoreSlim gate, FileStream lockFile) : IDisposable
    {
        public void Dispose()
        {
            lockFile.Dispose();
            gate.Release();
        }
    }
}
