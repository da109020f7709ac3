using System.CommandLine;
using System.CommandLine.Invocation;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.Commands;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client;

/// <summary>
/// The whole <c>hpf</c> command line as one call, so that tests run exactly what the executable runs, writing
/// to writers they can read. Every failure a user can cause ends here as a message and an <see cref="ExitCodes"/> value.
/// </summary>
public static class CliApp
{
    /// <summary>Runs a command line against plain writers (no colour, no live display, no Ctrl+C hook).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, CliOutput.ForWriters(output, error), handleCtrlC: false, cancellationToken);

    /// <param name="handleCtrlC">Cancel the command's token on Ctrl+C / SIGTERM (the executable); tests leave the process's signals alone.</param>
    public static async Task<int> RunAsync(string[] args, CliOutput output, bool handleCtrlC, CancellationToken cancellationToken = default)
    {
        var environment = new CommandEnvironment(output);
        var parsed = CreateRootCommand(environment).Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors) output.Fail(ParseErrorText.Of(error.Message));
            output.Error.WriteLine("run 'hpf --help' or 'hpf COMMAND --help' for usage");
            return ExitCodes.BadOption;
        }
        var configuration = new InvocationConfiguration
        {
            Output = output.Out,
            Error = output.Error,
            EnableDefaultExceptionHandler = false,
            // Long enough for the current iteration to finish and the trainer to notice the token.
            ProcessTerminationTimeout = handleCtrlC ? TimeSpan.FromSeconds(30) : null,
        };
        try
        {
            return await parsed.InvokeAsync(configuration, cancellationToken);
        }
        catch (Exception e)
        {
            return Report(output, e);
        }
    }

    internal static RootCommand CreateRootCommand(CommandEnvironment environment)
    {
        var root = new RootCommand("hpf: train Hierarchical Poisson Factorization recommenders and serve their recommendations")
        {
            environment.DataDirectory,
        };
        root.Subcommands.Add(new SynthCommand(environment).Command);
        root.Subcommands.Add(new SplitCommand(environment).Command);
        root.Subcommands.Add(new TrainCommand(environment).Command);
        root.Subcommands.Add(new EvaluateCommand(environment).Command);
        root.Subcommands.Add(new CrossValidateCommand(environment).Command);
        root.Subcommands.Add(new ExportCommand(environment).Command);
        root.Subcommands.Add(new RecommendCommand(environment).Command);
        root.Subcommands.Add(new PredictCommand(environment).Command);
        root.Subcommands.Add(new FoldInCommand(environment).Command);
        root.Subcommands.Add(new AddUserCommand(environment).Command);
        root.Subcommands.Add(new JobsCommand(environment).Command);
        root.Subcommands.Add(new StatusCommand(environment).Command);
        root.Subcommands.Add(new CancelCommand(environment).Command);
        root.Subcommands.Add(new PartialFitCommand(environment).Command);
        root.Subcommands.Add(new PullCommand(environment).Command);
        return root;
    }

    /// <summary>Every error on its own line, in the file:line: reason form editors jump to.</summary>
    private static int ReportBadLines(CliOutput output, IReadOnlyList<string> errors, long totalErrors)
    {
        foreach (var error in errors) output.Fail(error);
        if (totalErrors > errors.Count) output.Fail($"and {totalErrors - errors.Count} more errors");
        output.Fail("the file was refused as a whole: nothing was trained, evaluated or saved");
        return ExitCodes.BadData;
    }

    /// <summary>The path a .NET I/O message quotes ('…'), or "a file" when it quotes none.</summary>
    private static string PathIn(string message)
    {
        var start = message.IndexOf('\'');
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start ? message[(start + 1)..end] : "a file";
    }

    /// <summary>Prints what went wrong in the user's terms and picks the exit code; unexpected errors keep their type for bug reports.</summary>
    private static int Report(CliOutput output, Exception e)
    {
        switch (e)
        {
            case CommandException c:
                output.Fail(c.Message);
                return c.ExitCode;
            case DataFormatException d:
                return ReportBadLines(output, d.Errors.Select(error => error.ToString()).ToList(), d.TotalErrors);
            case ClusterApiException { Failure: ClusterFailure.BadData } c:
                // The cluster read the file and found these lines; they are printed as the local reader prints its own.
                return ReportBadLines(output, c.Errors, c.TotalErrors);
            case ClusterApiException c:
                output.Fail(c.Message);
                return c.Failure switch
                {
                    ClusterFailure.Unreachable => ExitCodes.ClusterUnreachable,
                    ClusterFailure.JobNotFound => ExitCodes.JobNotFound,
                    ClusterFailure.UnknownUser => ExitCodes.UnknownUser,
                    ClusterFailure.UnknownItem => ExitCodes.UnknownItem,
                    ClusterFailure.ModelNotServable => ExitCodes.JobNotServable,
                    ClusterFailure.UserExists => ExitCodes.BadOption,
                    ClusterFailure.BadRequest => ExitCodes.BadOption,
                    _ => ExitCodes.Failure,
                };
            case FileNotFoundException f:
                output.Fail(f.FileName is null ? f.Message : $"file not found: {f.FileName}");
                return ExitCodes.BadData;
            case DirectoryNotFoundException n:
                output.Fail(n.Message.StartsWith("Could not find", StringComparison.Ordinal) ? $"not found: {PathIn(n.Message)}" : n.Message);
                return ExitCodes.BadData;
            case HpfNumericException h:
                output.Fail(h.Message);
                output.Fail("no model was saved; extreme priors (--a, --a-prime, --b-prime, --c, --c-prime, --d-prime) are the usual cause");
                return ExitCodes.NumericFailure;
            case JobStoreException { Failure: JobStoreFailure.InvalidName } j:
                output.Fail(j.Message);
                return ExitCodes.BadOption;
            case JobStoreException { Failure: JobStoreFailure.NotFound } j:
                output.Fail(j.Message);
                return ExitCodes.JobNotFound;
            case JobStoreException j:
                output.Fail(j.Message);
                return ExitCodes.Failure;
            case OperationCanceledException:
                output.Fail("cancelled");
                return ExitCodes.Cancelled;
            case UnauthorizedAccessException or IOException:
                output.Fail($"cannot read or write {PathIn(e.Message)}: {WritableDirectory.Reason(e)}");
                return ExitCodes.IoFailure;
            default:
                output.Fail($"unexpected error: {e}");
                return ExitCodes.Failure;
        }
    }
}
