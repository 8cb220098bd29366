using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Cli;

/// <summary>clara compress (spec §9): memory [N, n_mem, hidden] and the alignment loss of each document.</summary>
internal sealed class CompressCommand : ICommand
{
    private readonly Option<string> _model = ModelOption.OrDefault();
    private readonly Option<string> _docs = Options.RequiredText("--docs", "FILE.jsonl", "the documents ({\"id\",\"text\"} or {\"id\",\"ids\"} lines)");
    private readonly Option<string> _out = Options.RequiredText("--out", "FILE.safetensors", "the output file");
    private readonly Option<int> _batch = Options.Int("--batch", "N", 8, "documents compressed together", min: 1);
    private readonly BackendOptions _backend = new();

    public Command Create() =>
        new Command("compress", "compress documents into memory vectors; writes 'memory' F32 [N, n_mem, hidden] and 'mse' F32 [N]")
            .With([_model, _docs, _out, _batch, .. _backend.All]).With(Run);

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var docsPath = p.GetValue(_docs)!;
        var output = p.GetValue(_out)!;
        int batch = p.GetValue(_batch);
        using var backend = _backend.Create(p);
        OutputFile.Prepare(output, stderr);

        var lines = DocumentsFile.Read(docsPath);
        using var model = ClaraModel.Load(modelPath, backend);
        var docs = ClaraInputs.DocumentIds(model, lines, docsPath);
        var progress = new Progress(stderr, lines.Count);
        var compressed = model.Compress(docs, batch, progress);
        progress.Finish();
        SafetensorsWriter.Write(output,
        [
            TensorToWrite.FromFloat32("memory", new Shape(compressed.Count, compressed.MemoryTokens, compressed.Hidden), compressed.Memory),
            TensorToWrite.FromFloat32("mse", new Shape(compressed.Count), compressed.Mse),
        ], new Dictionary<string, string> { ["ids"] = System.Text.Json.JsonSerializer.Serialize(lines.Select(l => l.Id).ToArray(), CliJson.Default.StringArray) });
        stdout.WriteLine($"wrote memory [{compressed.Count}, {compressed.MemoryTokens}, {compressed.Hidden}] and mse [{compressed.Count}] to {output}");
        return 0;
    }

    /// <summary>Documents done / total on stderr; redrawn in place on a terminal, a line per ~10% otherwise.</summary>
    private sealed class Progress(TextWriter stderr, int total) : IProgress<int>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private int _lastDecile = -1;

        public void Report(int done)
        {
            double rate = done / Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
            string line = $"compress {done}/{total} documents ({rate:F1} docs/s)";
            if (_terminal) stderr.Write("\r" + line);
            else if (done * 10 / total is var decile && decile != _lastDecile) { _lastDecile = decile; stderr.WriteLine(line); }
        }

        public void Finish()
        {
            if (_terminal) stderr.WriteLine();
        }
    }
}
