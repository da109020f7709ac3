using System.Diagnostics;
using Hpf.Cluster.Grains.Engine;
using Spectre.Console;

namespace Hpf.Cluster.Client.Rendering;

/// <summary>
/// Shows a training run as it goes: a live Spectre progress bar on a terminal, and on a redirected output one
/// plain line per likelihood check (and at least every <see cref="QuietLimit"/>), so logs stay short and greppable.
/// </summary>
internal static class TrainingProgressDisplay
{
    private static readonly TimeSpan QuietLimit = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="train"/> off the calling thread, feeding it a progress sink that draws on <paramref name="output"/>.</summary>
    public static Task<TrainingResult> RunAsync(
        CliOutput output, int maxIterations, int checkEvery,
        Func<IProgress<TrainingProgress>, TrainingResult> train, CancellationToken cancellationToken) =>
        output.IsTerminal
            ? RunLiveAsync(output.Console, maxIterations, train, cancellationToken)
            : RunWithLinesAsync(output.Out, checkEvery, train, cancellationToken);

    private static async Task<TrainingResult> RunLiveAsync(
        IAnsiConsole console, int maxIterations, Func<IProgress<TrainingProgress>, TrainingResult> train, CancellationToken cancellationToken) =>
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape($"iteration 0/{maxIterations}  llk -"), maxValue: maxIterations);
                var sink = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.Description = Markup.Escape(ProgressText.Line(p));
                    task.Value = p.Iteration;
                });
                var result = await Task.Run(() => train(sink), cancellationToken);
                // A stop rule may end the run before MaxIterations: the bar should still read as finished.
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });

    private static Task<TrainingResult> RunWithLinesAsync(
        TextWriter output, int checkEvery, Func<IProgress<TrainingProgress>, TrainingResult> train, CancellationToken cancellationToken)
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
        return Task.Run(() => train(sink), cancellationToken);
    }
}
