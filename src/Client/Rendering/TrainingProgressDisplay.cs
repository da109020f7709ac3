using System.Diagnostics;
using Hpf.Cluster.Grains.Engine;
using Spectre.Console;

namespace Hpf.Cluster.Client.Rendering;

/// <summary>
/// Shows a training run as it goes: a live Spectre progress bar on a terminal, and on a redirected output one
/// plain line per likelihood check (and at least every <see cref="QuietLimit"/>), so logs stay short and greppable.
/// The run is anything that reports <see cref="TrainingProgress"/>: the in-process trainer, or a cluster job being polled.
/// </summary>
internal static class TrainingProgressDisplay
{
    private static readonly TimeSpan QuietLimit = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="run"/>, feeding it a progress sink that draws on <paramref name="output"/>.</summary>
    public static Task<T> RunAsync<T>(
        CliOutput output, int maxIterations, int checkEvery,
        Func<IProgress<TrainingProgress>, Task<T>> run, CancellationToken cancellationToken) =>
        output.IsTerminal
            ? RunLiveAsync(output.Console, maxIterations, run, cancellationToken)
            : RunWithLinesAsync(output.Out, checkEvery, run);

    private static async Task<T> RunLiveAsync<T>(
        IAnsiConsole console, int maxIterations, Func<IProgress<TrainingProgress>, Task<T>> run, CancellationToken cancellationToken) =>
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                var task = context.AddTask(Markup.Escape($"iteration 0/{maxIterations}  llk -"), maxValue: maxIterations);
                var sink = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.Description = Markup.Escape(ProgressText.Line(p));
                    task.Value = p.Iteration;
                });
                var result = await run(sink);
                // A stop rule may end the run before MaxIterations: the bar should still read as finished.
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });

    private static Task<T> RunWithLinesAsync<T>(TextWriter output, int checkEvery, Func<IProgress<TrainingProgress>, Task<T>> run)
    {
        var sinceLine = Stopwatch.StartNew();
        var sink = new SynchronousProgress<TrainingProgress>(p =>
        {
            var checkedNow = p.Iteration % checkEvery == 0;
            var last = p.Iteration == p.MaxIterations || p.Remaining == TimeSpan.Zero;
            if (!checkedNow && !last && sinceLine.Elapsed < QuietLimit) return;
            output.WriteLine(ProgressText.Line(p));
            sinceLine.Restart();
        });
        return run(sink);
    }
}
