using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Clara.Server;

/// <summary>
/// POST /v1/chat/completions over CLaRa's <see cref="IChatClient"/> (which runs on the model's scheduler): a whole
/// completion, or server-sent events when <c>stream</c> is true. A stream's status and headers are sent only once its
/// first update exists, so a request refused before any token (queue full, a bad document id) still gets its status
/// code; a failure after that ends the stream with an error event and no <c>[DONE]</c>.
/// </summary>
internal sealed class ChatCompletionEndpoint(IChatClient chat, ClaraServerOptions options, RequestRunner runner)
{
    public Task HandleAsync(HttpContext context) => runner.RunAsync(context, (body, cancellation) =>
    {
        var request = ChatCompletionRequest.Parse(body, options);
        return request.Stream ? StreamAsync(context, request, cancellation) : CompleteAsync(context, request, cancellation);
    });

    private async Task CompleteAsync(HttpContext context, ChatCompletionRequest request, CancellationToken cancellation)
    {
        var response = await chat.GetResponseAsync(request.Messages, request.Options, cancellation).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        new ChatCompletionJson(options.ModelName).WriteCompletion(json, response);
        await json.FlushAsync(cancellation).ConfigureAwait(false);
    }

    private async Task StreamAsync(HttpContext context, ChatCompletionRequest request, CancellationToken cancellation)
    {
        var writer = new ChatCompletionJson(options.ModelName);
        // Disposing the enumerator stops and awaits the generation, however this method ends.
        await using var updates = chat.GetStreamingResponseAsync(request.Messages, request.Options, cancellation).GetAsyncEnumerator(cancellation);
        bool more = await updates.MoveNextAsync().ConfigureAwait(false);

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var events = new ServerSentEvents(response.Body);
        UsageDetails? usage = null;
        try
        {
            for (bool first = true; more; first = false)
            {
                var update = updates.Current;
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                await events.SendAsync(json => writer.WriteChunk(json, update, first), cancellation).ConfigureAwait(false);
                more = await updates.MoveNextAsync().ConfigureAwait(false);
            }
            if (request.IncludeUsage && usage is not null)
                await events.SendAsync(json => writer.WriteUsageChunk(json, usage), cancellation).ConfigureAwait(false);
            await events.SendDoneAsync(cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            var error = runner.ErrorFor(e, deadlinePassed: cancellation.IsCancellationRequested);
            await events.SendAsync(error.WriteBody, context.RequestAborted).ConfigureAwait(false);
        }
    }
}

/// <summary>Server-sent events: <c>data: JSON</c> and a blank line per event, flushed at once so each token leaves immediately.</summary>
internal sealed class ServerSentEvents(Stream body)
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] End = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public async Task SendAsync(Action<Utf8JsonWriter> write, CancellationToken cancellation)
    {
        _buffer.ResetWrittenCount();
        _buffer.Write(Prefix);
        using (var json = new Utf8JsonWriter(_buffer)) write(json);
        _buffer.Write(End);
        await body.WriteAsync(_buffer.WrittenMemory, cancellation).ConfigureAwait(false);
        await body.FlushAsync(cancellation).ConfigureAwait(false);
    }

    public async Task SendDoneAsync(CancellationToken cancellation)
    {
        await body.WriteAsync(Done, cancellation).ConfigureAwait(false);
        await body.FlushAsync(cancellation).ConfigureAwait(false);
    }
}
