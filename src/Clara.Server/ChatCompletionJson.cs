using System.Text.Json;
using Clara.Engine.AI;
using Microsoft.Extensions.AI;

namespace Clara.Server;

/// <summary>
/// Writes OpenAI chat-completion objects (whole, and streamed chunks). Besides OpenAI's fields, an answer carries
/// <c>"clara": {"documents": [{"id", "score"}, ...]}</c>: the chosen documents, best first, with their cosine scores.
/// </summary>
internal sealed class ChatCompletionJson(string model)
{
    private readonly string _id = "chatcmpl-" + Guid.NewGuid().ToString("N");
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void WriteCompletion(Utf8JsonWriter json, ChatResponse response)
    {
        WriteHeader(json, "chat.completion");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        json.WriteString("content", response.Text);
        json.WriteEndObject();
        json.WriteString("finish_reason", FinishReason(response.FinishReason));
        json.WriteNull("logprobs");
        json.WriteEndObject();
        json.WriteEndArray();
        if (response.Usage is { } usage) WriteUsage(json, usage);
        WriteDocuments(json, response.AdditionalProperties);
        json.WriteEndObject();
    }

    /// <summary>One streamed update: its text as a delta (the role on the first), and on the last the finish reason and the documents.</summary>
    public void WriteChunk(Utf8JsonWriter json, ChatResponseUpdate update, bool first)
    {
        WriteHeader(json, "chat.completion.chunk");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("delta");
        if (first) json.WriteString("role", "assistant");
        if (update.Text.Length > 0 || first) json.WriteString("content", update.Text);
        json.WriteEndObject();
        if (update.FinishReason is { } finish) json.WriteString("finish_reason", FinishReason(finish));
        else json.WriteNull("finish_reason");
        json.WriteEndObject();
        json.WriteEndArray();
        WriteDocuments(json, update.AdditionalProperties);
        json.WriteEndObject();
    }

    /// <summary>The closing chunk of stream_options.include_usage: no choices, the token counts.</summary>
    public void WriteUsageChunk(Utf8JsonWriter json, UsageDetails usage)
    {
        WriteHeader(json, "chat.completion.chunk");
        json.WriteStartArray("choices");
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    private void WriteHeader(Utf8JsonWriter json, string kind)
    {
        json.WriteStartObject();
        json.WriteString("id", _id);
        json.WriteString("object", kind);
        json.WriteNumber("created", _created);
        json.WriteString("model", model);
    }

    public static void WriteUsage(Utf8JsonWriter json, UsageDetails usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.InputTokenCount ?? 0);
        json.WriteNumber("completion_tokens", usage.OutputTokenCount ?? 0);
        json.WriteNumber("total_tokens", usage.TotalTokenCount ?? 0);
        json.WriteEndObject();
    }

    private static void WriteDocuments(Utf8JsonWriter json, AdditionalPropertiesDictionary? properties)
    {
        if (properties?.TryGetValue(ClaraChatClient.TopKKey, out var chosen) != true || chosen is not string[] ids) return;
        var scores = properties.TryGetValue(ClaraChatClient.ScoresKey, out var all) ? all as IReadOnlyDictionary<string, float> : null;
        json.WriteStartObject("clara");
        json.WriteStartArray("documents");
        foreach (var id in ids)
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            if (scores is not null && scores.TryGetValue(id, out float score)) json.WriteNumber("score", score);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string FinishReason(ChatFinishReason? reason) => reason == ChatFinishReason.Length ? "length" : "stop";
}
