namespace Hpf.Cluster.Client;

/// <summary>
/// Checks that a directory the command will write into can be written, before any time is spent (training for minutes
/// and then failing to save is the worst order), and says why not in plain words.
/// </summary>
internal static class WritableDirectory
{
    /// <summary>Creates <paramref name="directory"/> if needed and writes and deletes a probe file in it.</summary>
    /// <param name="role">What the directory is for, as the message names it ("the data directory (--data-dir)").</param>
    /// <exception cref="CommandException">Exit <see cref="ExitCodes.IoFailure"/>, naming the directory and the reason.</exception>
    public static void Require(string directory, string role)
    {
        var full = Path.GetFullPath(directory);
        try
        {
            if (File.Exists(full)) throw Refused(role, full, "it is a file, not a directory");
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".hpf-write-check-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refused(role, full, Reason(e, full));
        }
    }

    /// <summary>The reason an I/O operation failed, without .NET's wording ("Could not find a part of the path").</summary>
    public static string Reason(Exception e, string? path = null) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException when path is not null && FirstFileAbove(path) is { } file => $"{file} is a file, not a directory",
        DirectoryNotFoundException => "a directory on the path does not exist and cannot be created",
        FileNotFoundException => "the file does not exist",
        PathTooLongException => "the path is too long",
        IOException when e.HResult == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => "the disk is full",
        IOException when e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) => "the file system is read-only",
        IOException when path is not null && FirstFileAbove(path) is { } file => $"{file} is a file, not a directory",
        _ => e.Message,
    };

    private static string? FirstFileAbove(string path)
    {
        for (var p = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            if (File.Exists(p) || (Path.Exists(p) && !Directory.Exists(p))) return p;
        }
        return null;
    }

    private static CommandException Refused(string role, string directory, string reason) =>
        new(ExitCodes.IoFailure, $"cannot write {role} {directory}: {reason}");
}
