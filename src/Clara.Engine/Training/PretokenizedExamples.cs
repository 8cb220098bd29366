using System.Text.Json;

namespace Clara.Engine.Training;

/// <summary>
/// The pre-tokenized JSON-lines form of each stage's examples (spec §9 for e2e; the <see cref="TrainingExample"/> field
/// names for the others): lm <c>{"ids"}</c>, scp <c>{"doc_ids", "prompt_ids", "target_ids"}</c>, instruct
/// <c>{"docs", "prompt_ids", "answer_ids"}</c>, e2e <c>{"question_ids", "docs", "prompt_ids", "answer_ids"}</c>.
/// </summary>
public static class PretokenizedExamples
{
    /// <summary>Every non-blank line of <paramref name="path"/>; an error names the file, line and field.</summary>
    public static IReadOnlyList<TrainingExample> Read(string path, TrainingStage stage)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file {path} does not exist", path);
        var examples = new List<TrainingExample>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                examples.Add(Parse(line, stage));
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new InvalidDataException($"{path}:{number}: {e.Message}", e);
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path} holds no examples");
        return examples;
    }

    /// <summary>One line of <paramref name="stage"/>'s form.</summary>
    public static TrainingExample Parse(string line, TrainingStage stage)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a line must be a JSON object");
        return stage switch
        {
            TrainingStage.Lm => new LmExample(Ids(root, "ids")),
            TrainingStage.Scp => new ScpExample(Ids(root, "doc_ids"), Ids(root, "prompt_ids"), Ids(root, "target_ids")),
            TrainingStage.Instruct => new InstructExample(Lists(root, "docs"), Ids(root, "prompt_ids"), Ids(root, "answer_ids")),
            TrainingStage.E2e => new E2eExample(Ids(root, "question_ids"), Lists(root, "docs"), Ids(root, "prompt_ids"), Ids(root, "answer_ids")),
            _ => throw new ArgumentOutOfRangeException(nameof(stage)),
        };
    }

    private static JsonElement Field(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v : throw new ExampleFieldException(name, "is missing (pre-tokenized lines need it)");

    private static int[] Ids(JsonElement root, string name) => IdArray(Field(root, name), name);

    private static IReadOnlyList<int>[] Lists(JsonElement root, string name)
    {
        var v = Field(root, name);
        if (v.ValueKind != JsonValueKind.Array) throw new ExampleFieldException(name, "must be an array of token-id arrays");
        return v.EnumerateArray().Select((e, i) => (IReadOnlyList<int>)IdArray(e, $"{name}[{i}]")).ToArray();
    }

    private static int[] IdArray(JsonElement v, string name)
    {
        if (v.ValueKind != JsonValueKind.Array) throw new ExampleFieldException(name, "must be an array of token ids");
        return v.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var id) && id >= 0
            ? id : throw new ExampleFieldException(name, $"index {i} holds {e.GetRawText()}, not a token id")).ToArray();
    }
}
