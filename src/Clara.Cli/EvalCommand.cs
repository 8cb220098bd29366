using System.CommandLine;
using System.Globalization;
using Clara.CommandLine;
using Clara.Engine;
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
    private readonly Option<string> _model = ModelOption.OrDefault();
    private readonly Option<string> _data = Options.RequiredText("--data", "FILE.jsonl", "{\"question\",\"docs\",\"answer\",\"gold\"} lines");
    private readonly Option<int?> _k = Options.OptionalInt("--k", "K", "documents to answer from (default: clara.json top_k)", min: 1);
    private readonly Option<int?> _limit = Options.OptionalInt("--limit", "N", "only the first N questions", min: 1);
    private readonly Option<string> _baseline = Options.Text("--baseline", "bm25", "rank with BM25 instead of the model");
    private readonly Option<int> _maxNewTokens = Options.Int("--max-new-tokens", "N", 32, "the longest answer in tokens", min: 1);
    private readonly Option<bool> _noAnswers = Options.Flag("--no-answers", "rank only: no generation, no exact match or F1");
    private readonly Option<bool> _json = Options.Flag("--json", "one JSON object with every question's ranking, top k and answer");
    private readonly BackendOptions _backend = new();

    public Command Create()
    {
        _baseline.AcceptOnlyFromAmong("bm25");
        return new Command("eval", "recall@1, recall@k, answer exact match and F1 on questions with N candidates ({\"question\",\"docs\",\"answer\",\"gold\"} lines)")
            .With([_model, _data, _k, _limit, _baseline, _maxNewTokens, _noAnswers, _json, .. _backend.All]).With(Run);
    }

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var dataPath = p.GetValue(_data)!;
        bool json = p.GetValue(_json);
        var options = new EvalOptions
        {
            K = p.GetValue(_k),
            Ranker = p.GetValue(_baseline) is "bm25" ? EvalRanker.Bm25 : EvalRanker.Clara,
            GenerateAnswers = !p.GetValue(_noAnswers),
            MaxNewTokens = p.GetValue(_maxNewTokens),
        };
        var examples = EvalFile.Read(dataPath, p.GetValue(_limit));
        using var backend = _backend.Create(p);
        using var model = ClaraModel.Load(modelPath, backend);
        if (model.Tokenizer is null) throw new InvalidInputException($"{modelPath} has no tokenizer files, and evaluation files are text");

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
