using Clara.Engine.Evaluation;
using NUnit.Framework;

namespace Clara.Engine.Tests.Evaluation;

/// <summary>BM25 scores equal the Python reference implementation's (tests/oracle/eval_fixtures.py).</summary>
public class Bm25OracleTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        EvalFixtures.Json("bm25.json").EnumerateArray().Select(c => new TestCaseData(
            c.GetProperty("query").GetString()!,
            c.GetProperty("docs").EnumerateArray().Select(d => d.GetString()!).ToArray(),
            EvalFixtures.Doubles(c.GetProperty("scores"))).SetArgDisplayNames(c.GetProperty("query").GetString()!));

    [TestCaseSource(nameof(Cases))]
    public void ScoresEqualTheReference(string query, string[] docs, double[] expected)
    {
        var scores = Bm25.Scores(query, docs);
        Assert.That(scores, Is.EqualTo(expected).Within(1e-12));
        // The reference cases are built so that some candidates score and some do not.
        Assert.That(expected.Any(s => s > 0), Is.True, "a case where nothing matches would not test the formula");
    }
}
