using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// Turns what an API handler throws into problem details with a clear message: a failed grain call by the kind of
/// exception the grain threw (a state conflict is 409, a bad argument 400, anything else 500), a call timeout 504, no
/// silo to take the call 503, an unreadable request 400; and what the serving queries refuse, each with its own title
/// (<see cref="ServingProblems"/>): an unknown user or item 404, no such job 404, no model to serve 409. Only API
/// requests are handled here; the runtime's endpoint answers for itself.
/// </summary>
internal sealed class ClientApiExceptionHandler(IProblemDetailsService problems, ILogger<ClientApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The middleware has cleared the context's endpoint by now; the feature keeps the one that threw.
        if (httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint?.Metadata.GetMetadata<ClientApiEndpointMetadata>() is null)
        {
            return false;
        }
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away: there is no one to answer.
            return true;
        }
        var (status, title, detail) = Describe(exception);
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (exception is DataFormatException refused)
        {
            // Bad data found while sealing: the job is gone, and the lines are listed as an upload's refusal lists them.
            var errors = ErrorLines(refused.Message);
            problem.Extensions["errors"] = errors;
            problem.Extensions["totalErrors"] = (long)errors.Length;
        }
        switch (exception)
        {
            // What the client may want to act on without parsing the message.
            case UnknownUserException unknown:
                problem.Extensions["user"] = unknown.User;
                break;
            case UnknownItemException unknown:
                problem.Extensions["item"] = unknown.Item;
                break;
            case UnknownGroupException unknown:
                problem.Extensions["group"] = unknown.Group;
                break;
            case ModelNotServableException notServable:
                problem.Extensions["state"] = notServable.State.ToString().ToLowerInvariant();
                break;
        }
        if (status >= 500)
            ClientApiLog.RequestFailed(logger, httpContext.Request.Method, httpContext.Request.Path, status, detail);
        else
            ClientApiLog.RequestRefused(logger, httpContext.Request.Method, httpContext.Request.Path, status, detail);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        }).ConfigureAwait(false);
    }

    internal static (int Status, string Title, string Detail) Describe(Exception exception) => exception switch
    {
        // Orleans hands a grain's exception to the caller as its own type: a refusal the job's rules make (a conflict,
        // bad data) reads as the grain put it.
        JobConflictException conflict => (StatusCodes.Status409Conflict, TitleOf(StatusCodes.Status409Conflict), conflict.Message),
        DataFormatException data => (StatusCodes.Status400BadRequest, TitleOf(StatusCodes.Status400BadRequest), data.Message),
        TimeoutException timeout => (StatusCodes.Status504GatewayTimeout, "Grain call timed out", timeout.Message),
        SiloUnavailableException or OrleansMessageRejectionException => (StatusCodes.Status503ServiceUnavailable, "No silo available", exception.Message),
        UnknownUserException unknown => (StatusCodes.Status404NotFound, ServingProblems.UnknownUser, unknown.Message),
        UnknownItemException unknown => (StatusCodes.Status404NotFound, ServingProblems.UnknownItem, unknown.Message),
        UnknownGroupException unknown => (StatusCodes.Status404NotFound, ServingProblems.UnknownGroup, unknown.Message),
        JobNotFoundException missing => (StatusCodes.Status404NotFound, ServingProblems.JobNotFound, $"job '{missing.Job}' not found"),
        ModelNotServableException notServable => (StatusCodes.Status409Conflict, ServingProblems.ModelNotServable, notServable.Message),
        // The serving queries check their own arguments; the endpoints check first, so this is the rare case they missed.
        ArgumentException argument => (StatusCodes.Status400BadRequest, ServingProblems.BadRequest, OptionMessage.Of(argument)),
        BadHttpRequestException bad => (bad.StatusCode, "Bad request", RequestErrorText.Of(bad)),
        _ => (StatusCodes.Status500InternalServerError, "Unexpected error", $"{exception.GetType().Name}: {exception.Message}"),
    };

    private static string TitleOf(int status) => status switch
    {
        StatusCodes.Status404NotFound => "Job not found",
        StatusCodes.Status409Conflict => "Job state conflict",
        _ => "Request refused",
    };

    /// <summary>A DataFormatException's message as its file:line lines (its first line is a count when there are several).</summary>
    private static string[] ErrorLines(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length > 1 && lines[0].EndsWith("no dataset was built", StringComparison.Ordinal) ? lines[1..] : lines;
    }
}
