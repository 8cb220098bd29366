using Clara.Engine.Pipeline;

namespace Clara.Engine.Evaluation;

/// <summary>Settings of one evaluation run.</summary>
public sealed record EvalOptions
{
    /// <summary>Documents the generator reads, and the k of recall@k; the model's top_k when null.</summary>
    public int? K { get; init; }
    public EvalRanker Ranker { get; init; } = EvalRanker.Clara;
    public bool GenerateAnswers { get; init; } = true;
    public int MaxNewTokens { get; init; } = 32;
    public int CompressBatch { get; init; } = 8;
}

/// <summary>
/// Evaluates a CLaRa model on questions with N candidates each: ranks the candidates (the model's reranker or BM25),
/// answers greedily from the top-k memories, and scores both. Each distinct document text is compressed once, however
/// many questions share it. Everything is greedy and in file order, so a run is deterministic.
/// </summary>
public sealed class ClaraEvaluator(ClaraModel model, EvalOptions options)
{
    /// <param name="progress">Receives the number of questions done so far.</param>
    public EvalResult Run(IReadOnlyList<EvalExample> examples, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        int k = options.K ?? model.Config.TopK;
        foreach (var (example, i) in examples.Select((e, i) => (e, i)))
            if (k > example.Docs.Count)
                throw new ArgumentException($"question {i}: k = {k} exceeds its {example.Docs.Count} candidate documents");

        // BM25 without answers reads only text, so it runs without compressing anything.
        bool needsMemory = options.Ranker == EvalRanker.Clara || options.GenerateAnswers;
        var (memory, rowOf) = needsMemory ? CompressDistinct(examples, cancellation) : (null, null);
        var picks = new List<EvalPick>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var example = examples[i];
            var rows = rowOf is null ? [] : example.Docs.Select(d => rowOf[d]).ToArray();
            var (ranking, scores) = Rank(example, rows, memory);
            var topk = ranking[..k];
            string? answer = null;
            if (options.GenerateAnswers)
            {
                var prompt = model.BuildPrompt(example.Question, k);
                var generated = model.Generate([(prompt, topk.Select(j => rows[j]).ToArray())], memory!,
                    new GenerationOptions { MaxNewTokens = options.MaxNewTokens }, cancellation: cancellation)[0];
                answer = (model.Decode(generated) ?? "").Trim();
            }
            picks.Add(new EvalPick(i, example.Gold, ranking, scores, topk, answer, example.Answer,
                answer is null ? null : AnswerMetrics.ExactMatch(answer, example.Answer),
                answer is null ? null : AnswerMetrics.F1(answer, example.Answer)));
            progress?.Report(i + 1);
        }
        return new EvalResult(options.Ranker, k, picks);
    }

    private (int[] Ranking, double[] Scores) Rank(EvalExample example, int[] rows, CompressedDocuments? memory)
    {
        if (options.Ranker == EvalRanker.Bm25)
        {
            var bm25 = Bm25.Scores(example.Question, example.Docs);
            return (Ranking.Order(bm25), bm25);
        }
        var query = model.EncodeQuery(model.Encode(example.Question));
        var scores = model.Score(query, Subset(memory!, rows));
        // The engine's own top-k over every candidate, so recall@k is exactly what `clara ask` would pick.
        return (model.SelectTopK(scores, scores.Length), scores.Select(s => (double)s).ToArray());
    }

    private (CompressedDocuments? Memory, Dictionary<string, int>? RowOf) CompressDistinct(IReadOnlyList<EvalExample> examples, CancellationToken cancellation)
    {
        var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var texts = new List<string>();
        foreach (var doc in examples.SelectMany(e => e.Docs))
            if (rowOf.TryAdd(doc, texts.Count)) texts.Add(doc);
        var ids = texts.Select(t => (IReadOnlyList<int>)model.Encode(t)).ToList();
        return (model.Compress(ids, options.CompressBatch, cancellation: cancellation), rowOf);
    }

    private static CompressedDocuments Subset(CompressedDocuments all, int[] rows)
    {
        int width = all.MemoryTokens * all.Hidden;
        var memory = new float[rows.Length * width];
        var mse = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            all.Document(rows[i]).Span.CopyTo(memory.AsSpan(i * width, width));
            mse[i] = all.Mse[rows[i]];
        }
        return new CompressedDocuments(rows.Length, all.MemoryTokens, all.Hidden, memory, mse);
    }
}
