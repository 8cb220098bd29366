using System.Text.Json.Serialization;

namespace Clara.Cli;

/// <summary>Source-generated JSON contracts, so the trimmed single-file build needs no reflection.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(AskJson))]
internal sealed partial class CliJson : JsonSerializerContext;

/// <summary>What `clara ask --json` prints (spec §9).</summary>
internal sealed record AskJson(
    [property: JsonPropertyName("answer_ids")] int[] AnswerIds,
    [property: JsonPropertyName("answer")] string? Answer,
    [property: JsonPropertyName("topk")] int[] TopK,
    [property: JsonPropertyName("ids")] string[] Ids,
    [property: JsonPropertyName("scores")] float[] Scores);
