using System.Text.Json;

namespace Clara.Engine.Training.Data;

/// <summary>
/// Reads a whole JSON-lines data file of one stage and validates every example against the objective's rules before
/// training starts, so a bad line fails the run at once, named "file:line: field: problem".
/// </summary>
public static class TrainingDataFile
{
    public static IReadOnlyList<TrainingExample> Load(string path, IExampleLineParser parser, ExampleRules rules)
    {
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(rules);
        if (!File.Exists(path)) throw new FileNotFoundException($"data file {path} does not exist", path);
        var examples = new List<TrainingExample>();
        int number = 0;
        foreach (var text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var json = JsonDocument.Parse(text);
                if (json.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("a line must be a JSON object");
                var example = parser.Parse(new TrainingLine(json.RootElement));
                example.Validate(rules);
                examples.Add(example);
            }
            catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"{path}:{number}: {e.Message}", e);
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path} holds no {parser.Stage.Name()} examples");
        return examples;
    }
}
