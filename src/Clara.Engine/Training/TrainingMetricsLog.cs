using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Clara.Engine.Training;

/// <summary>
/// <c>metrics.jsonl</c> in the output directory: one JSON object per update (<c>step, loss, lr, grad_norm, clip_scale,
/// epoch, tokens, tokens_per_s, elapsed_s</c>) and one per evaluation (<c>step, eval_loss</c>). A resumed run first drops
/// the lines of steps after its checkpoint, so the file describes exactly the run that produced the weights.
/// </summary>
public sealed class TrainingMetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";
    private readonly StreamWriter _writer;

    public TrainingMetricsLog(string directory, int resumedStep)
    {
        Path = System.IO.Path.Combine(directory, FileName);
        if (File.Exists(Path)) KeepUpTo(Path, resumedStep);
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    public string Path { get; }

    public void Step(TrainingStepReport r) => Write(w =>
    {
        w.WriteNumber("step", r.Step);
        w.WriteNumber("loss", r.Loss);
        w.WriteNumber("lr", r.LearningRate);
        w.WriteNumber("grad_norm", r.GradientNorm);
        w.WriteNumber("clip_scale", r.ClipScale);
        w.WriteNumber("epoch", r.Epoch);
        w.WriteNumber("tokens", r.Tokens);
        w.WriteNumber("tokens_per_s", r.TokensPerSecond);
        w.WriteNumber("elapsed_s", r.Elapsed.TotalSeconds);
    });

    public void Evaluation(int step, double loss) => Write(w =>
    {
        w.WriteNumber("step", step);
        w.WriteNumber("eval_loss", loss);
    });

    private void Write(Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            fields(w);
            w.WriteEndObject();
        }
        _writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        _writer.Flush();
    }

    private static void KeepUpTo(string path, int step)
    {
        var kept = File.ReadLines(path).Where(line => StepOf(line) is int s && s <= step).ToList();
        // Replaced atomically: a crash here must not cost the history of the steps that stay.
        IO.Safetensors.AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            foreach (var line in kept) writer.WriteLine(line);
            return true;
        });
    }

    private static int? StepOf(string line)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.TryGetProperty("step", out var s) && s.TryGetInt32(out int v) ? v : null;
        }
        catch (JsonException)
        {
            return null;  // a line cut short by a crash
        }
    }

    public void Dispose() => _writer.Dispose();
}
