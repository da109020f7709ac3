using BenchmarkDotNet.Running;

namespace Hpf.Cluster.Benchmarks;

public static class Program
{
    /// <summary>
    /// `dotnet run -c Release -- --filter '*'` runs the BenchmarkDotNet suites;
    /// `dotnet run -c Release -- end-to-end …` trains a whole job and reports time and memory (see bench/README.md).
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "end-to-end")
        {
            try
            {
                return EndToEnd.Run(args[1..]);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"end-to-end: {e.Message}");
                return 2;
            }
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
