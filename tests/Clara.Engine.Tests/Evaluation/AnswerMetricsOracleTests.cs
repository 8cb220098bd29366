using Clara.Engine.Evaluation;
using NUnit.Framework;

namespace Clara.Engine.Tests.Evaluation;

/// <summary>Exact match and F1 equal the SQuAD v2.0 rules as tests/oracle/eval_fixtures.py implements them in Python.</summary>
public class AnswerMetricsOracleTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        EvalFixtures.Json("answer-metrics.json").EnumerateArray().Select(c => new TestCaseData(
            c.GetProperty("prediction").GetString()!, c.GetProperty("gold").GetString()!,
            c.GetProperty("exact_match").GetDouble(), c.GetProperty("f1").GetDouble()));

    [TestCaseSource(nameof(Cases))]
    public void MatchesTheSquadRules(string prediction, string gold, double exactMatch, double f1)
    {
        Assert.That(AnswerMetrics.ExactMatch(prediction, gold), Is.EqualTo(exactMatch), "exact match");
        Assert.That(AnswerMetrics.F1(prediction, gold), Is.EqualTo(f1).Within(1e-12), "F1");
    }
}
