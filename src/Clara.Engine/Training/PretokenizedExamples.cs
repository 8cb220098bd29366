using System.Text.Json;
using Clara.Engine.Training.Data;

namespace Clara.Engine.Training;

/// <summary>
/// The pre-tokenized JSON-lines form of each stage's examples (spec §9 for e2e; the <see cref="TrainingExample"/> field
/// names for the others): lm <c>{"ids"}</c>, scp <c>{"doc_ids", "prompt_ids", "target_ids"}</c>, instruct
/// <c>{"docs", "prompt_ids", "answer_ids"}</c>, e2e <c>{"question_ids", "docs", "prompt_ids", "answer_ids"}</c>, rank <c>{"question_ids", "docs", "gold"}</c>,
/// scp-rank <c>{"question_ids", "docs", "gold", "prompt_ids", "answer_ids"}</c>.
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

    /// <summary>
    /// One line of <paramref name="stage"/>'s form, read by the same parsers as <c>clara train</c>'s data files, with no
    /// tokenizer behind them: a text field is refused by name.
    /// </summary>
    public static TrainingExample Parse(string line, TrainingStage stage)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a line must be a JSON object");
        return ParserFor(stage).Parse(new TrainingLine(root));
    }

    private static readonly ExampleText NoTokenizer = ExampleText.For(null, null, null, "a pre-tokenized data file");

    private static IExampleLineParser ParserFor(TrainingStage stage) => stage switch
    {
        TrainingStage.Lm => new LmLineParser(NoTokenizer),
        TrainingStage.Scp => new ScpLineParser(NoTokenizer),
        TrainingStage.Instruct => new InstructLineParser(NoTokenizer),
        // k only shapes a prompt built from text; a pre-tokenized line brings its own prompt_ids.
        TrainingStage.E2e => new E2eLineParser(NoTokenizer, k: 1),
        TrainingStage.Rank => new RankLineParser(NoTokenizer),
        TrainingStage.ScpRank => new ScpRankLineParser(NoTokenizer),
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };
}
