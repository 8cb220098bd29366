using System.Text.Json;

namespace Clara.Cli;

/// <summary>One line of a documents file: an id and either text or token ids.</summary>
internal sealed record DocumentLine(string Id, string? Text, int[]? Ids);

/// <summary>
/// Reads the JSON-lines documents files of spec §9 (<c>{"id": "...", "text": "..."}</c> or <c>{"id": "...", "ids": [..]}</c>),
/// naming the file and line of any malformed entry.
/// </summary>
internal static class DocumentsFile
{
    public static IReadOnlyList<DocumentLine> Read(string path)
    {
        Clara.Engine.IO.InputFile.Require(path, "documents file");
        var lines = new List<DocumentLine>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            DocumentLine doc;
            try
            {
                doc = Parse(line);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{number}: {e.Message}", e);
            }
            if (!seen.Add(doc.Id)) throw new InvalidDataException($"{path}:{number}: duplicate document id '{doc.Id}'");
            lines.Add(doc);
        }
        if (lines.Count == 0) throw new InvalidDataException($"{path} holds no documents");
        return lines;
    }

    private static DocumentLine Parse(string line)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a line must be a JSON object");
        string id = root.TryGetProperty("id", out var idValue)
            ? idValue.ValueKind switch
            {
                JsonValueKind.String => idValue.GetString()!,
                JsonValueKind.Number => idValue.GetRawText(),
                _ => throw new FormatException("'id' must be a string or a number"),
            }
            : throw new FormatException("missing 'id'");
        bool hasText = root.TryGetProperty("text", out var text);
        bool hasIds = root.TryGetProperty("ids", out var ids);
        if (hasText == hasIds) throw new FormatException($"document '{id}' needs exactly one of 'text' or 'ids'");
        if (hasText)
            return new DocumentLine(id, text.ValueKind == JsonValueKind.String ? text.GetString() : throw new FormatException($"document '{id}': 'text' must be a string"), null);
        if (ids.ValueKind != JsonValueKind.Array) throw new FormatException($"document '{id}': 'ids' must be an array of integers");
        var values = ids.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) && v >= 0
            ? v : throw new FormatException($"document '{id}': 'ids' holds {e.GetRawText()}, not a token id")).ToArray();
        return new DocumentLine(id, null, values);
    }
}
