using System.CommandLine;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client;

/// <summary>What every command shares: where it writes, and the global <c>--data-dir</c> option that locates the job store.</summary>
internal sealed class CommandEnvironment
{
    public CommandEnvironment(CliOutput output)
    {
        Output = output;
        DataDirectory = new Option<string?>("--data-dir")
        {
            Description = $"where jobs are saved (default: ${JobStore.DataDirectoryVariable}, else {JobStore.DefaultDataDirectory})",
            HelpName = "DIR",
            Recursive = true,
        };
    }

    public CliOutput Output { get; }
    public Option<string?> DataDirectory { get; }

    public JobStore Store(ParseResult parseResult) => new(JobStore.ResolveDataDirectory(parseResult.GetValue(DataDirectory)));

    /// <summary>Opens a saved job, turning a bad or unknown name into the console's exit codes.</summary>
    public JobStoreEntry OpenJob(ParseResult parseResult, string name)
    {
        try
        {
            return Store(parseResult).Open(name);
        }
        catch (JobStoreException e) when (e.Failure == JobStoreFailure.NotFound)
        {
            throw new CommandException(ExitCodes.JobNotFound, e.Message, e);
        }
    }
}
