namespace Clara.Engine.Evaluation;

/// <summary>Which ranking chose the documents the generator answers from.</summary>
public enum EvalRanker
{
    /// <summary>The model's own reranker: query-reasoner vector against compressed memories (spec §3–§4).</summary>
    Clara,

    /// <summary><see cref="Bm25"/> over the candidates' text: the baseline that needs no training.</summary>
    Bm25,
}

/// <summary>One question's outcome: the candidates best first, the top k, the answer and its scores.</summary>
public sealed record EvalPick(
    int Index,
    int Gold,
    int[] Ranking,
    double[] Scores,
    int[] TopK,
    string? Answer,
    string Expected,
    double? ExactMatch,
    double? F1)
{
    public bool HitAt1 => Ranking[0] == Gold;
    public bool HitAtK => TopK.Contains(Gold);
}

/// <summary>Recall@1 and recall@k of the ranking, answer exact match and token F1 (null when answers were not generated).</summary>
public sealed record EvalResult(EvalRanker Ranker, int K, IReadOnlyList<EvalPick> Picks)
{
    public int Questions => Picks.Count;
    public double RecallAt1 => Picks.Average(p => p.HitAt1 ? 1.0 : 0.0);
    public double RecallAtK => Picks.Average(p => p.HitAtK ? 1.0 : 0.0);
    public double? ExactMatch => Picks.All(p => p.ExactMatch is not null) ? Picks.Average(p => p.ExactMatch!.Value) : null;
    public double? F1 => Picks.All(p => p.F1 is not null) ? Picks.Average(p => p.F1!.Value) : null;
}
