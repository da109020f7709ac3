using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.Rendering;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf jobs</c>: the saved jobs of the data directory, from their model.json files only; with <c>--cluster host:port</c>,
/// the jobs of the cluster instead.
/// </summary>
internal sealed class JobsCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Option<bool> _json = new("--json") { Description = "print the list as JSON" };
    private readonly ClusterConnection _connection = new("list this cluster's jobs instead of the saved ones");

    public JobsCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("jobs", "List the saved jobs, or a cluster's jobs") { _json };
        foreach (var option in _connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        await using var client = await _connection.ConnectAsync(parsed, cancellationToken);
        return client is null ? ListSaved(parsed) : await ListClusterAsync(client, parsed, cancellationToken);
    }

    private async Task<int> ListClusterAsync(ClusterJobs client, ParseResult parsed, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
        var jobs = await client.ListJobsAsync(cancellationToken);
        if (parsed.GetValue(_json))
        {
            output.WriteJson(jobs);
            return ExitCodes.Success;
        }
        if (jobs.Length == 0)
        {
            output.Line($"no jobs on {client.Where}");
            return ExitCodes.Success;
        }
        var table = new Table().AddColumn("name").AddColumn("state").AddColumn("updated (UTC)");
        foreach (var job in jobs)
        {
            table.AddRow(Markup.Escape(job.Job), job.State.ToString().ToLowerInvariant(),
                job.Updated.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        }
        output.Console.Write(table);
        return ExitCodes.Success;
    }

    private int ListSaved(ParseResult parsed)
    {
        var output = _environment.Output;
        var store = _environment.Store(parsed);
        var listing = store.List();
        foreach (var problem in listing.Unreadable) output.Warn(problem);
        if (parsed.GetValue(_json))
        {
            output.WriteJson(listing.Jobs.Select(j => j.Manifest));
            return ExitCodes.Success;
        }
        if (listing.Jobs.Count == 0)
        {
            output.Line($"no jobs in {store.JobsDirectory}");
            return ExitCodes.Success;
        }
        var table = new Table()
            .AddColumn("name")
            .AddColumn("created (UTC)")
            .AddColumn(new TableColumn("users").RightAligned())
            .AddColumn(new TableColumn("items").RightAligned())
            .AddColumn(new TableColumn("nonzeros").RightAligned())
            .AddColumn(new TableColumn("iterations").RightAligned())
            .AddColumn(new TableColumn("final llk").RightAligned());
        foreach (var job in listing.Jobs)
        {
            var m = job.Manifest;
            table.AddRow(
                Markup.Escape(m.Name),
                m.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                m.Users.ToString(CultureInfo.InvariantCulture),
                m.Items.ToString(CultureInfo.InvariantCulture),
                m.Nonzeros.ToString(CultureInfo.InvariantCulture),
                m.Iterations.ToString(CultureInfo.InvariantCulture),
                ProgressText.LogLikelihood(m.FinalTrainLogLikelihood));
        }
        output.Console.Write(table);
        return ExitCodes.Success;
    }
}
