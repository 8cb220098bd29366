using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Clara.Server;

/// <summary>
/// What every POST endpoint shares: the JSON body read within the body-size limit, a deadline joined to the client's
/// own disconnection, and failures answered as OpenAI error objects with their status. A client that went away gets
/// nothing (there is nobody to answer); its work was cancelled through the same token.
/// </summary>
internal sealed class RequestRunner(ClaraServerOptions options)
{
    public async Task RunAsync(HttpContext context, Func<JsonElement, CancellationToken, Task> handle)
    {
        using var deadline = new CancellationTokenSource(options.RequestTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: linked.Token).ConfigureAwait(false);
            await handle(body.RootElement, linked.Token).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected: its generation is already cancelled and no answer can reach it.
        }
        catch (Exception e)
        {
            var error = ErrorFor(e, deadline.IsCancellationRequested);
            if (!context.Response.HasStarted) await error.WriteAsync(context.Response, context.RequestAborted).ConfigureAwait(false);
            else context.Abort(); // a stream reports its own failures; this is a failure while writing that report
        }
    }

    /// <summary>The error a failure is answered with: the deadline's own 504 when it fired, else what the exception means.</summary>
    public ApiError ErrorFor(Exception e, bool deadlinePassed) =>
        deadlinePassed && e is OperationCanceledException
            ? new ApiError(StatusCodes.Status504GatewayTimeout, "timeout",
                $"the request did not finish within this server's limit of {options.RequestTimeout.TotalSeconds:0.###} s", "request_timeout")
            : ApiError.From(e);
}
