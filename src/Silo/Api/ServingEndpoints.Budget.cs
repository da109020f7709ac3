using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hpf.Cluster.Silo.Api;

/// <summary>The budget model's rankings on <c>recommendations</c> and <c>cold-start</c>: <c>group</c> and <c>groupsOnly</c>.</summary>
internal static partial class ServingEndpoints
{
    private static async Task<Results<Ok<RecommendationList>, JsonHttpResult<GroupRankingList>, ProblemHttpResult>> BudgetRankingAsync(
        string job, string? user, string? group, bool groupsOnly, int count, bool includeSeen, string[]? pool, JobModelQueries queries, CancellationToken cancellationToken)
    {
        if (!groupsOnly)
        {
            if (group!.Length == 0) return Bad("\"group\" is empty: name the group whose items to rank");
            return TypedResults.Ok(await queries.RecommendInGroupAsync(job, user, group, count, includeSeen, pool, cancellationToken).ConfigureAwait(false));
        }
        if (group is not null) return Bad("\"group\" and \"groupsOnly\" exclude each other: rank one group's items, or the groups");
        if (pool is not null || includeSeen) return Bad("\"pool\" and \"includeSeen\" rank items; \"groupsOnly\" ranks every group");
        // As JSON rather than Ok<T>: a second 200 type would take the place of the item list in the OpenAPI document.
        return TypedResults.Json(await queries.RankGroupsAsync(job, user, count, cancellationToken).ConfigureAwait(false));
    }
}
