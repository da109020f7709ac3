namespace Hpf.Cluster.Grains.Tests.Data;

/// <summary>A fresh directory for a test's fixture files, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hpf-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>Writes <paramref name="text"/> to a file of that name here and returns its full path.</summary>
    public string Write(string name, string text)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, text);
        return file;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }   // a file still open on a slow runner must not fail the test that used it
    }
}
