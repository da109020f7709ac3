using Hpf.Cluster.Runtime;
using Hpf.Cluster.Runtime.Activation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// Turns what an API handler throws into problem details with a clear message: a failed grain call by the kind of
/// exception the grain threw (a state conflict is 409, a bad argument 400, anything else 500), a call timeout 504, no
/// silo to take the call 503, an unreadable request 400. Only API requests are handled here; the runtime's endpoint
/// answers for itself.
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
        if (status >= 500)
            ClientApiLog.RequestFailed(logger, httpContext.Request.Method, httpContext.Request.Path, status, detail);
        else
            ClientApiLog.RequestRefused(logger, httpContext.Request.Method, httpContext.Request.Path, status, detail);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        }).ConfigureAwait(false);
    }

    internal static (int Status, string Title, string Detail) Describe(Exception exception) => exception switch
    {
        GrainCallException call => (StatusOf(call), "Grain call failed", call.Message),
        TimeoutException timeout => (StatusCodes.Status504GatewayTimeout, "Grain call timed out", timeout.Message),
        SiloUnavailableException unavailable => (StatusCodes.Status503ServiceUnavailable, "No silo available", unavailable.Message),
        BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.InnerException is { } inner ? $"{bad.Message} {inner.Message}" : bad.Message),
        _ => (StatusCodes.Status500InternalServerError, "Unexpected error", $"{exception.GetType().Name}: {exception.Message}"),
    };

    /// <summary>By the type the grain threw: what the caller can do about it decides the status.</summary>
    private static int StatusOf(GrainCallException call) => call.RemoteExceptionType switch
    {
        "System.InvalidOperationException" => StatusCodes.Status409Conflict,
        "System.ArgumentException" or "System.ArgumentOutOfRangeException" or "System.ArgumentNullException"
            or "System.FormatException" or "Hpf.Cluster.Grains.Data.DataFormatException" => StatusCodes.Status400BadRequest,
        "System.Collections.Generic.KeyNotFoundException" => StatusCodes.Status404NotFound,
        "System.TimeoutException" => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };
}
