using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Clara.Engine.Evaluation;
using Clara.Engine.Pipeline;

namespace Clara.Cli;

/// <summary>
/// clara eval: recall@1 / recall@k of the reranker over each question's N candidates, and exact match / token F1 of
/// the answers generated from the top k (see <see cref="ClaraEvaluator"/>); --baseline bm25 ranks with BM25 instead.
/// </summary>
internal sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Usage =>
        "eval --model DIR --data FILE.jsonl [--k K] [--limit N] [--baseline bm25] [--max-new-tokens N] [--no-answers] [--json]\n" +
        "      [--device cpu|cuda[:N]] [--threads N]";
    public string Summary => "recall@1, recall@k, answer exact match and F1 on questions with N candidates ({\"question\",\"docs\",\"answer\",\"gold\"} lines)";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string> { "json", "no-answers" });
        var modelPath = a.Required("model");
        var dataPath = a.Required("data");
        bool json = a.Flag("json");
        var options = new EvalOptions
        {
            K = a.OptionalInt("k"),
            Ranker = a.Optional("baseline") switch
            {
                null => EvalRanker.Clara,
                "bm25" => EvalRanker.Bm25,
                var other => throw new UsageException($"--baseline '{other}' is unknown (known: bm25)"),
            },
            GenerateAnswers = !a.Flag("no-answers"),
            MaxNewTokens = a.OptionalInt("max-new-tokens") ?? 32,
        };
        int? limit = a.OptionalInt("limit");
        if (options.K is <= 0) throw new UsageException("--k must be positive");
        if (limit is <= 0) throw new UsageException("--limit must be positive");
        if (options.MaxNewTokens <= 0) throw new UsageException("--max-new-tokens must be positive");
        var examples = EvalFile.Read(dataPath, limit);
        using var backend = a.Backend();
        a.RejectUnknown();
        using var model = ClaraModel.Load(modelPath, backend);
        if (model.Tokenizer is null) throw new InvalidOperationException($"{modelPath} has no tokenizer files, and evaluation files are text");

        using var bar = TerminalProgress.ForStandardError(stderr, examples.Count, "questions");
        var result = new ClaraEvaluator(model, options).Run(examples, bar);
        bar?.Finish();
        if (json) WriteJson(stdout, result, modelPath, dataPath);
        else WriteSummary(stdout, result, dataPath);
        return 0;
    }

    private static void WriteSummary(TextWriter w, EvalResult r, string dataPath)
    {
        string F(double? v) => v is null ? "-" : v.Value.ToString("F4", CultureInfo.InvariantCulture);
        w.WriteLine($"{dataPath}: {r.Questions} questions, ranker {RankerName(r.Ranker)}, k {r.K}");
        w.WriteLine($"recall@1     {F(r.RecallAt1)}");
        w.WriteLine($"recall@{r.K}     {F(r.RecallAtK)}");
        w.WriteLine($"exact match  {F(r.ExactMatch)}");
        w.WriteLine($"F1           {F(r.F1)}");
    }

    private static string RankerName(EvalRanker ranker) => ranker == EvalRanker.Bm25 ? "bm25" : "clara";

    private static void WriteJson(TextWriter output, EvalResult r, string modelPath, string dataPath)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("model", modelPath);
            w.WriteString("data", dataPath);
            w.WriteString("ranker", RankerName(r.Ranker));
            w.WriteNumber("k", r.K);
            w.WriteNumber("questions", r.Questions);
            w.WriteNumber("recall_at_1", r.RecallAt1);
            w.WriteNumber("recall_at_k", r.RecallAtK);
            WriteOptional(w, "exact_match", r.ExactMatch);
            WriteOptional(w, "f1", r.F1);
            w.WriteStartArray("picks");
            foreach (var p in r.Picks)
            {
                w.WriteStartObject();
                w.WriteNumber("index", p.Index);
                w.WriteNumber("gold", p.Gold);
                WriteInts(w, "topk", p.TopK);
                WriteInts(w, "ranking", p.Ranking);
                w.WriteStartArray("scores");
                foreach (var s in p.Scores) w.WriteNumberValue(s);
                w.WriteEndArray();
                if (p.Answer is null) w.WriteNull("answer"); else w.WriteString("answer", p.Answer);
                w.WriteString("expected", p.Expected);
                WriteOptional(w, "exact_match", p.ExactMatch);
                WriteOptional(w, "f1", p.F1);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteInts(Utf8JsonWriter w, string name, IEnumerable<int> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteNumber(name, value.Value);
    }
}
