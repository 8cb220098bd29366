using System.Text.Json;

namespace Clara.Engine.Evaluation;

/// <summary>One question of an evaluation file: its N candidate documents, the expected answer and the gold document's index.</summary>
public sealed record EvalExample(string Question, IReadOnlyList<string> Docs, string Answer, int Gold);

/// <summary>
/// Reads evaluation files: JSON lines in the end-to-end training form <c>{"question", "docs": [..], "answer", "gold"}</c>
/// (other fields are ignored). Errors name the file, line and field.
/// </summary>
public static class EvalFile
{
    /// <param name="limit">Read at most this many questions (the first ones), or all when null.</param>
    public static IReadOnlyList<EvalExample> Read(string path, int? limit = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"evaluation file {path} does not exist", path);
        if (limit is <= 0) throw new ArgumentOutOfRangeException(nameof(limit), $"the question limit must be positive, got {limit}");
        var examples = new List<EvalExample>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (examples.Count == limit) break;
            try
            {
                examples.Add(Parse(line));
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new InvalidDataException($"{path}:{number}: {e.Message}", e);
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path} holds no questions");
        return examples;
    }

    private static EvalExample Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a line must be a JSON object");
        string question = String(root, "question");
        string answer = String(root, "answer");
        if (!root.TryGetProperty("docs", out var docs) || docs.ValueKind != JsonValueKind.Array)
            throw new FormatException("'docs' must be an array of document texts");
        var texts = docs.EnumerateArray().Select((d, i) => d.ValueKind == JsonValueKind.String
            ? d.GetString()! : throw new FormatException($"'docs'[{i}] is {d.ValueKind}, not a string")).ToList();
        if (texts.Count == 0) throw new FormatException("'docs' is empty");
        if (!root.TryGetProperty("gold", out var goldValue) || !goldValue.TryGetInt32(out int gold))
            throw new FormatException("'gold' must be the integer index of the gold document in 'docs'");
        if ((uint)gold >= (uint)texts.Count) throw new FormatException($"'gold' {gold} is outside 'docs' (0..{texts.Count - 1})");
        return new EvalExample(question, texts, answer, gold);
    }

    private static string String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
        : throw new FormatException($"'{name}' must be a string");
}
