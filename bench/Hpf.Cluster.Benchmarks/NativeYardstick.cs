using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The hand-written C yardstick (bench/native/fused_loop.c, --csr mode) on the very nonzeros a job trains on: compiled
/// with gcc on first use, given the job's CSR by user in a file, and run as a child process, so that its time per
/// iteration (two fused passes, prefetching) is taken on the same machine in the same minutes as the engine's.
/// </summary>
internal sealed partial class NativeYardstick : IDisposable
{
    private readonly string _program;
    private readonly string _csrPath;

    private readonly bool _keep;

    private NativeYardstick(string program, string csrPath, bool keep)
    {
        _program = program;
        _csrPath = csrPath;
        _keep = keep;
    }

    /// <summary>Compiles the yardstick (gcc -O3 -march=native -fopenmp) and writes the job's nonzeros for it.</summary>
    /// <param name="directory">Where to put the program and the nonzeros and leave them, to run again by hand; a temporary directory, removed afterwards, when null.</param>
    public static NativeYardstick Prepare(Dataset train, string? directory)
    {
        var source = FindSource() ?? throw new ArgumentException("bench/native/fused_loop.c not found above the program or the working directory");
        var keep = directory is not null;
        directory = keep ? Directory.CreateDirectory(directory!).FullName : Directory.CreateTempSubdirectory("hpf-yardstick-").FullName;
        var program = Path.Combine(directory, "fused_loop");
        var csr = Path.Combine(directory, "train.csr");
        try
        {
            Run("gcc", ["-O3", "-march=native", "-fopenmp", "-o", program, source], "gcc is needed for --yardstick: apt-get install gcc");
            WriteCsr(train.ByUser, train.Users, train.Items, csr);
        }
        catch when (!keep)
        {
            // No yardstick is returned to dispose of: the temporary directory (a partial nonzeros file) goes now.
            Directory.Delete(directory, recursive: true);
            throw;
        }
        return new NativeYardstick(program, csr, keep);
    }

    /// <summary>The command line a reader can repeat by hand.</summary>
    public string CommandFor(int factors, int members, int threads, int passes) =>
        $"OMP_WAIT_POLICY=passive {_program} --csr {_csrPath} --k {factors} --members {members} --threads {threads} --passes {passes}";

    /// <summary>Runs <paramref name="passes"/> iterations of the yardstick.</summary>
    /// <param name="gatherOnly">
    /// Only read the counterpart rows, in the same order with the same prefetching, adding them up: what the memory takes
    /// to deliver an iteration's gathered rows that way, the part of the passes that no arithmetic can remove.
    /// </param>
    /// <returns>Its best and mean wall seconds per iteration, and its CPU seconds per iteration (all threads).</returns>
    public (double Best, double Mean, double Cpu) Measure(int factors, int members, int threads, int passes, bool gatherOnly = false)
    {
        string[] arguments = ["--csr", _csrPath, "--k", Text(factors), "--members", Text(members), "--threads", Text(threads), "--passes", Text(passes)];
        var output = Run(_program, gatherOnly ? [.. arguments, "--gather-only"] : arguments, "the C yardstick failed");
        var match = Timing().Match(output);
        if (!match.Success) throw new InvalidOperationException("the C yardstick printed no timing: " + output);
        return (Milliseconds(match.Groups[1]), Milliseconds(match.Groups[2]), Milliseconds(match.Groups[3]));
    }

    public void Dispose()
    {
        if (!_keep) Directory.Delete(Path.GetDirectoryName(_program)!, recursive: true);
    }

    [GeneratedRegex(@"best ([0-9.]+) ms mean ([0-9.]+) ms cpu ([0-9.]+) ms per iteration")]
    private static partial Regex Timing();

    private static double Milliseconds(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture) / 1e3;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Above the program (built in the repository) or above the working directory (a copy of the program run from the repository).</summary>
    private static string? FindSource()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "bench", "native", "fused_loop.c");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>int32 users, int32 items, int64 nonzeros, int32 row starts, int32 item indices, float32 counts (fused_loop.c's --csr format).</summary>
    private static void WriteCsr(SparseRows byUser, int users, int items, string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(users);
        writer.Write(items);
        writer.Write((long)byUser.Nonzeros);
        foreach (var start in byUser.RowStart) writer.Write(start);
        foreach (var other in byUser.Other) writer.Write(other);
        foreach (var count in byUser.Counts) writer.Write(count);
    }

    private static string Run(string program, string[] arguments, string failure)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        // OpenMP's threads would otherwise spin at the end of each pass, counting waiting as CPU time.
        start.Environment["OMP_WAIT_POLICY"] = "passive";
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException(failure);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ArgumentException(failure);
        }
        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"{failure} (exit code {process.ExitCode}): {errors.Result}");
            return output;
        }
    }
}
