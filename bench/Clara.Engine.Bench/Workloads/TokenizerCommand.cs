using System.Text.Json;
using Clara.Engine.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>tokenizer</c>: single-threaded encode speed of the engine's tokenizer over a JSON-lines corpus (one Encode call
/// per document), next to Microsoft.ML.Tokenizers' SentencePiece BPE on the same tokenizer.model (the path the
/// engine used before its own encoder). bench/tokenizer-speed.sh runs it next to sentencepiece.
/// Example: <c>tokenizer --model /tmp/clara-tokenizer-bench --corpus /tmp/clara-tokenizer-bench/corpus.jsonl</c>.
/// </summary>
public static class TokenizerCommand
{
    public const string Usage = "tokenizer --model DIR --corpus F.jsonl [--repeat N (5)] [--limit DOCUMENTS] [--engine-only]";

    public static int Run(IReadOnlyList<string> args)
    {
        var cli = new CommandLine(args);
        string model = cli.String("--model") ?? throw new ArgumentException("--model DIR is required");
        string corpus = cli.String("--corpus") ?? throw new ArgumentException("--corpus F.jsonl is required");
        int repeat = cli.Int("--repeat", 5);
        int limit = cli.Int("--limit", int.MaxValue);
        bool engineOnly = cli.Has("--engine-only");
        cli.RejectUnknown();

        var texts = File.ReadLines(corpus).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("text").GetString()!;
        }).Take(limit).ToList();
        long characters = texts.Sum(t => (long)t.Length);

        var engine = TokenizerLoader.Load(model);
        long tokens = texts.Sum(t => (long)engine.Encode(t).Length);
        var engineTiming = Timing.Measure(repeat, () => { foreach (var t in texts) engine.Encode(t); });

        Timing? library = null;
        string spm = Path.Combine(model, TokenizerLoader.SentencePieceFile);
        if (File.Exists(spm) && !engineOnly)
        {
            using var stream = File.OpenRead(spm);
            var ml = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
            library = Timing.Measure(repeat, () => { foreach (var t in texts) ml.EncodeToIds(t, addBeginningOfSentence: false, addEndOfSentence: false); });
        }

        JsonReport.Print(j =>
        {
            j.WriteNumber("documents", texts.Count);
            j.WriteNumber("characters", characters);
            j.WriteNumber("tokens", tokens);
            j.WriteStartObject("engine");
            JsonReport.WriteTiming(j, engineTiming, tokens);
            j.WriteNumber("mchars_per_s", characters / engineTiming.BestSeconds / 1e6);
            j.WriteEndObject();
            if (library is not null)
            {
                j.WriteStartObject("microsoft_ml_tokenizers");
                JsonReport.WriteTiming(j, library, tokens);
                j.WriteNumber("mchars_per_s", characters / library.BestSeconds / 1e6);
                j.WriteEndObject();
            }
        });
        return 0;
    }
}
