using System.CommandLine;
using System.Text.Json;
using Clara.CommandLine;
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
    private static readonly Option<string> ModelOption = Options.RequiredText("--model", "DIR", "a directory with the tokenizer files");
    private static readonly Option<string> CorpusOption = Options.RequiredText("--corpus", "F.jsonl", "{\"text\"} lines to encode");
    private static readonly Option<int> RepeatOption = Options.Int("--repeat", "ROUNDS", 5, "timed rounds", min: 1);
    private static readonly Option<int?> LimitOption = BenchOptions.Count("--limit", "DOCUMENTS", "only the first DOCUMENTS lines");
    private static readonly Option<bool> EngineOnlyOption = Options.Flag("--engine-only", "time the engine's tokenizer alone");

    public static Command Create() =>
        new Command("tokenizer", "single-threaded encode speed of the engine's tokenizer next to Microsoft.ML.Tokenizers, as one JSON object")
        {
            ModelOption, CorpusOption, RepeatOption, LimitOption, EngineOnlyOption,
        }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        string model = p.GetValue(ModelOption)!;
        string corpus = p.GetValue(CorpusOption)!;
        int repeat = p.GetValue(RepeatOption);
        int limit = p.GetValue(LimitOption) ?? int.MaxValue;
        bool engineOnly = p.GetValue(EngineOnlyOption);

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
