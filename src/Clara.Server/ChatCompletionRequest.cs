using System.Text;
using System.Text.Json;
using Clara.Engine.AI;
using Microsoft.Extensions.AI;

namespace Clara.Server;

/// <summary>
/// The fields of an OpenAI chat-completions request that CLaRa uses, checked against the server's limits: the messages
/// (the last user message is the question), max_tokens / max_completion_tokens, temperature, top_p, seed, stream and
/// stream_options.include_usage, plus <c>document_ids</c> (CLaRa's own: the candidates to rank, all when absent).
/// Fields CLaRa has no use for (tools, logit_bias, ...) are ignored, as OpenAI-compatible servers commonly do.
/// </summary>
internal sealed record ChatCompletionRequest(IReadOnlyList<ChatMessage> Messages, ChatOptions Options, bool Stream, bool IncludeUsage)
{
    /// <summary>max_tokens when the request gives none (and the limit allows).</summary>
    public const int DefaultMaxTokens = 128;

    public static ChatCompletionRequest Parse(JsonElement root, ClaraServerOptions limits)
    {
        JsonFields.RequireObject(root);
        var messages = ParseMessages(JsonFields.Get(root, "messages") ?? throw ApiError.BadRequest("'messages' is required", "messages"));
        if (JsonFields.Int(root, "n") is { } n && n != 1) throw ApiError.BadRequest($"'n' must be 1, got {n}: the server answers one choice", "n");

        int? maxTokens = JsonFields.Int(root, "max_completion_tokens") ?? JsonFields.Int(root, "max_tokens");
        if (maxTokens is <= 0) throw ApiError.BadRequest($"max_tokens must be positive, got {maxTokens}", "max_tokens");
        if (maxTokens > limits.MaxTokens)
            throw ApiError.BadRequest($"max_tokens is {maxTokens}, above this server's limit of {limits.MaxTokens}", "max_tokens");
        float? temperature = JsonFields.Number(root, "temperature");
        if (temperature is < 0 or > 2) throw ApiError.BadRequest($"temperature must be between 0 and 2, got {temperature}", "temperature");
        float? topP = JsonFields.Number(root, "top_p");
        if (topP is <= 0 or > 1) throw ApiError.BadRequest($"top_p must be in (0, 1], got {topP}", "top_p");

        var options = new ChatOptions
        {
            MaxOutputTokens = maxTokens ?? Math.Min(DefaultMaxTokens, limits.MaxTokens),
            Temperature = temperature,
            TopP = topP,
            Seed = JsonFields.Long(root, "seed"),
        };
        if (JsonFields.Strings(root, "document_ids") is { } ids)
        {
            if (ids.Length == 0) throw ApiError.BadRequest("'document_ids' is empty; leave it out to rank every document", "document_ids");
            options.AdditionalProperties = new() { [ClaraChatClient.DocumentIdsKey] = ids };
        }

        bool stream = JsonFields.Bool(root, "stream") ?? false;
        bool includeUsage = JsonFields.Get(root, "stream_options") is { ValueKind: JsonValueKind.Object } streamOptions
            && (JsonFields.Bool(streamOptions, "include_usage") ?? false);
        return new ChatCompletionRequest(messages, options, stream, includeUsage);
    }

    private static List<ChatMessage> ParseMessages(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            throw ApiError.BadRequest("'messages' must be a non-empty array", "messages");
        var list = new List<ChatMessage>();
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("each message must be an object", "messages");
            var role = JsonFields.String(message, "role") ?? throw ApiError.BadRequest("a message has no 'role'", "messages");
            list.Add(new ChatMessage(new ChatRole(role), Content(JsonFields.Get(message, "content"))));
        }
        if (!list.Any(m => m.Role == ChatRole.User)) throw ApiError.BadRequest("the conversation has no user message to answer", "messages");
        return list;
    }

    /// <summary>A string, or an array of parts of which only text parts are understood.</summary>
    private static string Content(JsonElement? content)
    {
        switch (content)
        {
            case null:
                return "";
            case { ValueKind: JsonValueKind.String } text:
                return text.GetString()!;
            case { ValueKind: JsonValueKind.Array } parts:
                var joined = new StringBuilder();
                foreach (var part in parts.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object || JsonFields.String(part, "type") != "text")
                        throw ApiError.BadRequest("only text content parts are supported", "messages");
                    joined.Append(JsonFields.String(part, "text"));
                }
                return joined.ToString();
            default:
                throw ApiError.BadRequest("a message's 'content' must be a string or an array of text parts", "messages");
        }
    }
}
