namespace Clara.Engine.Evaluation;

/// <summary>Candidate indices best first; equal scores keep input order (as <see cref="Pipeline.TopKSelection"/> does), so rankings are reproducible.</summary>
public static class Ranking
{
    public static int[] Order(IReadOnlyList<double> scores) =>
        Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
}
