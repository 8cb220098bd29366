using System.Text.Json;
using Clara.Engine.Tokenization;
using Clara.Engine.Tokenization.SentencePiece;
using Microsoft.ML.Tokenizers;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>tokenizer</c>: single-threaded encode speed of the engine's tokenizer over a JSON-lines corpus (one Encode call
/// per document), next to Microsoft.ML.Tokenizers' SentencePiece BPE on the same tokenizer.model (the path the
/// engine used before its own encoder). bench/tokenizer-speed.sh runs it next to sentencepiece.
/// For a tokenizer.model, the engine is timed three ways with the same ids: its default (chunks between exact cuts
/// through a per-thread chunk cache, emptied before every timed run so each starts cold), the chunks without the
/// cache, and the whole text through one BPE run as sentencepiece does.
/// Example: <c>tokenizer --model /tmp/clara-tokenizer-bench --corpus /tmp/clara-tokenizer-bench/corpus.jsonl</c>.
/// </summary>
public static class TokenizerCommand
{
    public const string Usage = "tokenizer --model DIR --corpus F.jsonl [--repeat ROUNDS (5)] [--limit DOCUMENTS] [--engine-only]";

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
        var processor = (engine as SentencePieceTextTokenizer)?.Processor;
        long tokens = texts.Sum(t => (long)engine.Encode(t).Length);

        // Every contender runs once per round, in turn, so that the host's noise falls on all of them alike;
        // each is warmed up twice first (JIT tiers), and the best wall and CPU time of the rounds is kept.
        var contenders = new List<Contender> { new("engine", () => { foreach (var t in texts) engine.Encode(t); }, () => processor?.ClearChunkCache()) };
        if (processor is not null)
        {
            foreach (var (name, strategy) in new[] { ("engine_no_cache", EncodeStrategy.Chunks), ("engine_whole_text", EncodeStrategy.WholeText) })
            {
                processor.Strategy = strategy;
                long count = texts.Sum(t => (long)engine.Encode(t).Length);
                if (count != tokens) throw new InvalidOperationException($"{name}: {count} tokens, the default strategy {tokens}");
                contenders.Add(new(name, () => { processor.Strategy = strategy; foreach (var t in texts) engine.Encode(t); processor.Strategy = EncodeStrategy.CachedChunks; }));
            }
            processor.Strategy = EncodeStrategy.CachedChunks;
        }
        string spm = Path.Combine(model, TokenizerLoader.SentencePieceFile);
        if (File.Exists(spm) && !engineOnly)
        {
            using var stream = File.OpenRead(spm);
            var ml = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
            contenders.Add(new("microsoft_ml_tokenizers", () => { foreach (var t in texts) ml.EncodeToIds(t, addBeginningOfSentence: false, addEndOfSentence: false); }));
        }
        foreach (var contender in contenders) contender.Warm();
        for (int round = 0; round < repeat; round++)
            foreach (var contender in contenders) contender.Measure();

        JsonReport.Print(j =>
        {
            j.WriteNumber("documents", texts.Count);
            j.WriteNumber("characters", characters);
            j.WriteNumber("tokens", tokens);
            foreach (var contender in contenders)
            {
                j.WriteStartObject(contender.Name);
                j.WriteNumber("runs", contender.Runs);
                j.WriteNumber("best_s", contender.BestWall);
                j.WriteNumber("best_cpu_s", contender.BestCpu);
                j.WriteNumber("tokens_per_s", tokens / contender.BestWall);
                j.WriteNumber("mchars_per_s", characters / contender.BestWall / 1e6);
                j.WriteEndObject();
            }
        });
        return 0;
    }
}
