using System.Text.Json;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Evaluation;

/// <summary>
/// `clara eval` on the clara-text fixture gives what the PyTorch oracle computed (tests/oracle/eval_fixtures.py):
/// every question's ranking and greedy answer, and the metrics over them.
/// </summary>
public class EvalCommandOracleTests
{
    private static readonly string Model = Fixtures.Clara("clara-text");

    private static (int Code, string Out, string Err) Clara(params string[] args) => ClaraCli.Run(args);

    private static JsonElement Eval(params string[] extra)
    {
        var expected = EvalFixtures.Json("tiny-eval-expected.json");
        string[] args = ["eval", "--model", Model, "--data", EvalFixtures.Path("tiny-eval.jsonl"), "--json",
            "--max-new-tokens", expected.GetProperty("max_new_tokens").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra];
        var (code, output, err) = Clara(args);
        Assert.That(code, Is.EqualTo(0), err);
        return JsonDocument.Parse(output).RootElement;
    }

    [Test]
    public void RankingsAnswersAndMetricsEqualTheOracle()
    {
        var expected = EvalFixtures.Json("tiny-eval-expected.json");
        var result = Eval();
        Assert.That(result.GetProperty("k").GetInt32(), Is.EqualTo(expected.GetProperty("k").GetInt32()));
        var picks = result.GetProperty("picks").EnumerateArray().ToList();
        var oracle = expected.GetProperty("picks").EnumerateArray().ToList();
        Assert.That(picks, Has.Count.EqualTo(oracle.Count));
        for (int i = 0; i < picks.Count; i++)
        {
            Assert.That(EvalFixtures.Ints(picks[i].GetProperty("ranking")), Is.EqualTo(EvalFixtures.Ints(oracle[i].GetProperty("ranking"))), $"question {i} ranking");
            Assert.That(EvalFixtures.Ints(picks[i].GetProperty("topk")), Is.EqualTo(EvalFixtures.Ints(oracle[i].GetProperty("topk"))), $"question {i} top k");
            Assert.That(picks[i].GetProperty("answer").GetString(), Is.EqualTo(oracle[i].GetProperty("answer").GetString()), $"question {i} answer");
            Compare.AssertClose(EvalFixtures.Doubles(picks[i].GetProperty("scores")).Select(d => (float)d).ToArray(),
                EvalFixtures.Doubles(oracle[i].GetProperty("scores")).Select(d => (float)d).ToArray(), 1e-4, $"question {i} scores");
        }
        foreach (var metric in new[] { "recall_at_1", "recall_at_k", "exact_match", "f1" })
            Assert.That(result.GetProperty(metric).GetDouble(), Is.EqualTo(expected.GetProperty(metric).GetDouble()).Within(1e-12), metric);
    }

    [Test]
    public void Bm25BaselineRanksAsTheReference()
    {
        var oracle = EvalFixtures.Json("tiny-eval-expected.json").GetProperty("picks").EnumerateArray().ToList();
        var picks = Eval("--baseline", "bm25", "--no-answers").GetProperty("picks").EnumerateArray().ToList();
        for (int i = 0; i < picks.Count; i++)
            Assert.That(EvalFixtures.Ints(picks[i].GetProperty("ranking")), Is.EqualTo(EvalFixtures.Ints(oracle[i].GetProperty("bm25_ranking"))), $"question {i}");
    }

    [Test]
    public void TwoRunsPrintTheSameReport()
    {
        var first = Eval().GetRawText();
        var second = Eval().GetRawText();
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void LimitReadsTheFirstQuestionsOnly()
    {
        var result = Eval("--limit", "2", "--no-answers");
        Assert.That(result.GetProperty("questions").GetInt32(), Is.EqualTo(2));
        Assert.That(result.GetProperty("exact_match").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public void ABadLineIsNamedWithItsFileAndLine()
    {
        var path = Path.Combine(Path.GetTempPath(), "clara-eval-" + Guid.NewGuid().ToString("N") + ".jsonl");
        try
        {
            File.WriteAllLines(path, [File.ReadLines(EvalFixtures.Path("tiny-eval.jsonl")).First(), """{"question": "q", "docs": ["a"], "answer": "x", "gold": 3}"""]);
            var (code, _, err) = Clara("eval", "--model", Model, "--data", path);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(err, Does.Contain($"{path}:2").And.Contain("'gold' 3"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
