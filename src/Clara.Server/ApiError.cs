using System.Text.Json;
using Clara.Engine;
using Clara.Engine.Pipeline.Scheduling;
using Microsoft.AspNetCore.Http;

namespace Clara.Server;

/// <summary>An error answered in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c> with its HTTP status.</summary>
internal sealed class ApiError(int status, string type, string message, string? code = null, string? param = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Code { get; } = code;
    public string? Param { get; } = param;

    /// <summary>Seconds a client should wait before retrying (Retry-After), for overload answers.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiError BadRequest(string message, string? param = null) => new(StatusCodes.Status400BadRequest, "invalid_request_error", message, "invalid_value", param);

    /// <summary>
    /// What an exception from parsing or from the engine means to the client. Engine argument errors are the request's
    /// fault (a prompt past the context, an unknown document id, an <see cref="InvalidInputException"/>); anything unexpected is a 500 without internals.
    /// </summary>
    public static ApiError From(Exception error) => error switch
    {
        ApiError api => api,
        SchedulerQueueFullException full => new(StatusCodes.Status429TooManyRequests, "server_overloaded", full.Message, "queue_full") { RetryAfterSeconds = 1 },
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            new(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", bad.Message, "request_too_large"),
        BadHttpRequestException bad => new(bad.StatusCode, "invalid_request_error", bad.Message),
        JsonException json => BadRequest($"the request body is not valid JSON: {json.Message}"),
        KeyNotFoundException missing => new(StatusCodes.Status400BadRequest, "invalid_request_error", missing.Message, "document_not_found", "document_ids"),
        ArgumentException argument => BadRequest(argument.Message.Split(" (Parameter", 2)[0]),
        InvalidInputException input => BadRequest(input.Message),
        ObjectDisposedException => new(StatusCodes.Status503ServiceUnavailable, "server_error", "the server is shutting down", "shutting_down"),
        _ => new(StatusCodes.Status500InternalServerError, "server_error", "the server failed to answer this request", "internal_error"),
    };

    public async Task WriteAsync(HttpResponse response, CancellationToken cancellation)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        if (RetryAfterSeconds is { } seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var json = new Utf8JsonWriter(response.Body);
        WriteBody(json);
        await json.FlushAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>The JSON object alone, also sent as a server-sent event when a stream fails after it started.</summary>
    public void WriteBody(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        WriteStringOrNull(json, "param", Param);
        WriteStringOrNull(json, "code", Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }
}
