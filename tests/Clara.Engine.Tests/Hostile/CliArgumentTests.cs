using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Item 4: every command is strict about its command line without doing it itself (the parser and
/// <c>CommandLineRunner</c> are): an unknown option, a stray word (an unquoted question cut into pieces) or a switch
/// given a value it cannot mean is a usage error (exit 2) before any work, and the output path is untouched.
/// </summary>
public class CliArgumentTests
{
    private HostileScratch _scratch = null!;

    [SetUp]
    public void Create() => _scratch = new HostileScratch();

    [TearDown]
    public void Remove() => _scratch.Dispose();

    private static string Model => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "clara", "clara-distinct");

    private string Docs => _scratch.WriteText("docs.jsonl", "{\"id\": \"a\", \"ids\": [1, 2, 3]}\n{\"id\": \"b\", \"ids\": [4, 5]}\n");

    private static IEnumerable<TestCaseData> Mistakes()
    {
        yield return new TestCaseData("ask", new[] { "--question", "What", "is", "the", "capital", "--json" }, "'is' 'the' 'capital'").SetName("AskUnquotedQuestion");
        yield return new TestCaseData("ask", new[] { "--question-ids", "1,2", "stray" }, "'stray'").SetName("AskStrayWord");
        yield return new TestCaseData("ask", new[] { "--question-ids", "1,2", "--json=maybe" }, "--json").SetName("AskSwitchWithNonsenseValue");
        yield return new TestCaseData("rerank", new[] { "--question-ids", "1,2", "--out", "OUT", "stray" }, "'stray'").SetName("RerankStrayWord");
        yield return new TestCaseData("compress", new[] { "--out", "OUT", "stray" }, "'stray'").SetName("CompressStrayWord");
        yield return new TestCaseData("compress", new[] { "--out", "OUT", "--bacth", "2" }, "--bacth").SetName("CompressMisspeltOption");
        yield return new TestCaseData("compress", new[] { "--out", "OUT", "--temperature", "NaN" }, "--temperature").SetName("CompressOptionItDoesNotHave");
    }

    [TestCaseSource(nameof(Mistakes))]
    public void MistakeIsAUsageErrorAndTouchesNothing(string command, string[] rest, string named)
    {
        string output = _scratch.WriteText("out.safetensors", "earlier output");
        string[] args = [command, "--model", Model, "--docs", Docs, .. rest.Select(a => a == "OUT" ? output : a)];
        var before = OutputPathState.Of(output);

        var result = HostileRun.InProcess(args);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain(named), result.ToString());
        Assert.That(result.Stdout, Is.Empty, result.ToString());
        OutputPathState.AssertUnchanged(output, before);
    }

    [Test]
    public void JsonFalseDoesNotTurnJsonOn()
    {
        var result = HostileRun.InProcess("ask", "--model", Model, "--docs", Docs, "--question-ids", "1,2", "--k", "1", "--max-new-tokens", "2", "--json=false");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stdout.TrimStart(), Does.Not.StartWith("{"), result.ToString());
    }
}
