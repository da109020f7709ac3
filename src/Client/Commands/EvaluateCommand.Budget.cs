using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Client.Serving;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Budget;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// The budget model's measures in <c>hpf evaluate</c>: the held-out conditional log-likelihood (each (user, group)
/// pair's held-out counts multinomial given their total) and precision, recall and NDCG at K within groups. A budget job
/// is scored with its own groups; any saved job (plain HPF, for comparison) with <c>--groups FILE</c>.
/// </summary>
internal sealed partial class EvaluateCommand
{
    private readonly Option<string?> _groups = new("--groups")
    {
        Description = "also score within groups with this item<TAB>group file (a budget job uses its own groups without it); saved jobs only",
        HelpName = "FILE",
    };

    private GroupEvaluationReport? EvaluateWithinGroups(ParseResult parsed, IModelServing serving, string testFile, DatasetFormat format, int top, int threads, CancellationToken cancellationToken)
    {
        var groupsFile = parsed.GetValue(_groups);
        if (serving is not SavedJobServing saved)
        {
            if (groupsFile is not null) throw new CommandException(ExitCodes.BadOption, "--groups scores a saved job; bring a cluster's job here with hpf pull first");
            return null;
        }
        var model = saved.SavedModel;
        ItemGroups? groups = model.Groups;
        if (groupsFile is not null)
        {
            if (!File.Exists(groupsFile)) throw new FileNotFoundException($"file not found: {groupsFile}", groupsFile);
            var map = ItemGroupMap.Read(groupsFile);
            var missing = map.MissingOf(model.ItemIds);
            if (missing.Count > 0)
                throw new CommandException(ExitCodes.BadData, $"{groupsFile}: {missing.Count} item(s) of job '{serving.Job}' have no group, the first '{missing[0]}'");
            groups = map.Dense(model.ItemIds);
        }
        if (groups is null) return null;
        var test = TripletFileReader.Read(testFile, format, cancellationToken, parsed.GetValue(_header));
        return GroupEvaluator.Evaluate(model, saved.SavedTrain, test, groups, top, threads, cancellationToken);
    }

    private static void AddGroupRows(Table table, GroupEvaluationReport report)
    {
        var k = report.K.ToString(CultureInfo.InvariantCulture);
        table.AddRow("held-out conditional log-likelihood (per nonzero)", Number(report.ConditionalLogLikelihood));
        table.AddRow($"within-group precision@{k}", Number(report.PrecisionAtK));
        table.AddRow($"within-group recall@{k}", Number(report.RecallAtK));
        table.AddRow($"within-group NDCG@{k}", Number(report.NdcgAtK));
        table.AddRow("(user, group) pairs evaluated", Count(report.PairsEvaluated));
    }
}
