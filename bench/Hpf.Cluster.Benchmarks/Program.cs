using BenchmarkDotNet.Running;

namespace Hpf.Cluster.Benchmarks;

public static class Program
{
    /// <summary>
    /// `dotnet run -c Release -- --filter '*'` runs the BenchmarkDotNet suites;
    /// `dotnet run -c Release -- end-to-end …` trains a whole job and reports time and memory;
    /// `dotnet run -c Release -- quality …` runs the study the training defaults come from (see bench/README.md);
    /// `dotnet run -c Release -- cold-start --ratings FILE` scores the Gaussian model on users it never trained on.
    /// </summary>
    public static int Main(string[] args)
    {
        Func<string[], int>? mode = args.Length > 0
            ? args[0] switch { "end-to-end" => EndToEnd.Run, "quality" => QualityStudy.Run, "budget" => BudgetStudy.Run, "cold-start" => ColdStartStudy.Run, _ => null }
            : null;
        if (mode is not null)
        {
            try
            {
                return mode(args[1..]);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"{args[0]}: {e.Message}");
                return 2;
            }
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
