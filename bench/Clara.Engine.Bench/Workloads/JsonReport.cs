using System.Text.Json;

namespace Clara.Engine.Bench.Workloads;

/// <summary>Writes the console modes' one JSON object to stdout (numbers with invariant formatting).</summary>
internal static class JsonReport
{
    public static void Print(Action<Utf8JsonWriter> body)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    public static void WriteTiming(Utf8JsonWriter w, Timing timing, double tokens, double? documents = null)
    {
        w.WriteNumber("runs", timing.Runs);
        w.WriteNumber("best_s", timing.BestSeconds);
        w.WriteNumber("median_s", timing.MedianSeconds);
        if (tokens > 0)
        {
            w.WriteNumber("tokens_per_s", tokens / timing.BestSeconds);
            w.WriteNumber("tokens_per_s_median", tokens / timing.MedianSeconds);
        }
        if (documents is { } d) w.WriteNumber("docs_per_s", d / timing.BestSeconds);
    }

    /// <summary>"ids": sequence 0's greedy tokens; "ids_by_sequence": every sequence's (the engine's workload and the llama.cpp peer write both).</summary>
    public static void WriteIds(Utf8JsonWriter w, IReadOnlyList<IReadOnlyList<int>> bySequence)
    {
        w.WriteStartArray("ids");
        if (bySequence.Count > 0) foreach (var id in bySequence[0]) w.WriteNumberValue(id);
        w.WriteEndArray();
        w.WriteStartArray("ids_by_sequence");
        foreach (var sequence in bySequence)
        {
            w.WriteStartArray();
            foreach (var id in sequence) w.WriteNumberValue(id);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
