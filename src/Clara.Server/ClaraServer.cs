using System.Net;
using System.Text.Json;
using Clara.Engine.AI;
using Clara.Engine.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Clara.Server;

/// <summary>
/// <c>clara serve</c>: an OpenAI-compatible HTTP server over one shared <see cref="ClaraModel"/> and a corpus read once.
/// <list type="bullet">
/// <item><c>POST /v1/chat/completions</c>: the last user message is the question; whole or streamed (server-sent events);
/// the answer carries <c>clara.documents</c> (the chosen ids and scores). <c>document_ids</c> narrows the candidates.</item>
/// <item><c>POST /v1/embeddings</c>: query-reasoner vectors. <c>GET /v1/models</c>, <c>GET /health</c>.</item>
/// </list>
/// It is a thin layer: every request becomes a call of <see cref="ClaraChatClient"/> or the model, whose scheduler
/// batches and bounds the work. A full scheduler queue is answered 429 (with Retry-After), a body over the limit
/// 413, bad fields 400, a request past its deadline 504, all as OpenAI error objects.
/// </summary>
public sealed class ClaraServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ClaraServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The base address it listens on, e.g. http://127.0.0.1:8080/ (OpenAI clients take Address + "v1").</summary>
    public Uri Address { get; }

    /// <summary>Starts listening; the model and the corpus stay the caller's (dispose them after the server).</summary>
    public static async Task<ClaraServer> StartAsync(ClaraModel model, CandidateCorpus corpus, ClaraServerOptions options, CancellationToken cancellation = default)
    {
        options.Validate();
        // The empty builder reads no configuration files, environment variables or command line, and logs nothing:
        // what the server does is what these lines say.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Listen(new IPEndPoint(options.Host, options.Port));
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();

        var runner = new RequestRunner(options);
        var chat = new ChatCompletionEndpoint(new ClaraChatClient(model, corpus, options.TopK), options, runner);
        var embeddings = new EmbeddingsEndpoint(model, options, runner);
        // RequestDelegate handlers only: no reflection-built parameter binding, so the trimmed `clara` binary keeps working.
        app.MapPost("/v1/chat/completions", (RequestDelegate)chat.HandleAsync);
        app.MapPost("/v1/embeddings", (RequestDelegate)embeddings.HandleAsync);
        app.MapGet("/v1/models", (RequestDelegate)(context => WriteJsonAsync(context, json => Models(json, options.ModelName))));
        app.MapGet("/health", (RequestDelegate)(context => WriteJsonAsync(context, json => Health(json, model, corpus, options))));
        app.MapFallback((RequestDelegate)NotFoundAsync);

        try
        {
            await app.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ClaraServer(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    /// <summary>Stops accepting requests and waits (until <paramref name="cancellation"/>) for those in flight.</summary>
    public Task StopAsync(CancellationToken cancellation = default) => _app.StopAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static readonly string[] KnownPaths = ["/v1/chat/completions", "/v1/embeddings", "/v1/models", "/health"];

    /// <summary>An unknown path is a 404, a known path with the wrong method a 405, both as OpenAI error objects.</summary>
    private static Task NotFoundAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        var error = KnownPaths.Contains(path, StringComparer.Ordinal)
            ? new ApiError(StatusCodes.Status405MethodNotAllowed, "invalid_request_error", $"{context.Request.Method} is not allowed on {path}", "method_not_allowed")
            : new ApiError(StatusCodes.Status404NotFound, "invalid_request_error", $"no such endpoint: {context.Request.Method} {path}", "not_found");
        return error.WriteAsync(context.Response, context.RequestAborted);
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        write(json);
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void Models(Utf8JsonWriter json, string name)
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        json.WriteStartObject();
        json.WriteString("id", name);
        json.WriteString("object", "model");
        json.WriteNumber("created", 0);
        json.WriteString("owned_by", "clara");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Health(Utf8JsonWriter json, ClaraModel model, CandidateCorpus corpus, ClaraServerOptions options)
    {
        json.WriteStartObject();
        json.WriteString("status", "ok");
        json.WriteString("model", options.ModelName);
        json.WriteString("fingerprint", model.Fingerprint);
        json.WriteNumber("documents", corpus.Count);
        json.WriteNumber("pending_requests", model.Scheduler.Pending);
        json.WriteNumber("queue_capacity", model.Scheduler.Options.QueueCapacity);
        json.WriteEndObject();
    }
}
