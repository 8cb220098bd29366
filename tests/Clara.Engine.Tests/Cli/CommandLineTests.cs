using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cli;

/// <summary>
/// The command line of every clara command, from the command tree itself: unknown options and stray words are usage
/// errors that name them, every --help lists the command's options, and the exit code says whose fault a failure is.
/// </summary>
public class CommandLineTests
{
    /// <summary>Every command of the tree as the words that reach it ("ask", "convert verify").</summary>
    private static IEnumerable<TestCaseData> Commands()
    {
        static IEnumerable<(string[] Path, Command Command)> Walk(Command command, string[] path) =>
            command.Subcommands.SelectMany(c => Walk(c, [.. path, c.Name]).Prepend(([.. path, c.Name], c)));
        foreach (var (path, command) in Walk(global::Clara.Cli.ClaraCommandLine.CreateRoot(), []))
            yield return new TestCaseData(path, command.Options.Where(o => !o.Hidden).Select(o => o.Name).ToArray()).SetName("clara " + string.Join(" ", path));
    }

    [TestCaseSource(nameof(Commands))]
    public void AnUnknownOptionIsAUsageErrorNamingIt(string[] path, string[] options)
    {
        var (code, stdout, stderr) = ClaraCli.Run([.. path, "--no-such-option", "1"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), stderr);
        Assert.That(stderr, Does.Contain("unknown option(s): --no-such-option"));
        Assert.That(stdout, Is.Empty);
    }

    [TestCaseSource(nameof(Commands))]
    public void HelpListsEveryOption(string[] path, string[] options)
    {
        var (code, stdout, stderr) = ClaraCli.Run([.. path, "--help"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Success), stderr);
        foreach (var option in options) Assert.That(stdout, Does.Contain(option), $"clara {string.Join(" ", path)} --help");
    }

    [TestCase("info", "PATH", "stray")]
    [TestCase("selftest", "stray")]
    [TestCase("logits", "--model", "m", "--tokens", "1,2", "--out", "o.safetensors", "stray")]
    public void AStrayWordIsAUsageErrorNamingIt(params string[] args)
    {
        var (code, stdout, stderr) = ClaraCli.Run(args);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), stderr);
        Assert.That(stderr, Does.Contain("unexpected argument(s) 'stray'"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void AnUnknownCommandIsAUsageError()
    {
        var (code, _, stderr) = ClaraCli.Run("frobnicate");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr, Does.Contain("unknown command 'frobnicate'"));
    }

    [Test]
    public void AMissingRequiredOptionIsAUsageErrorNamingIt()
    {
        var (code, _, stderr) = ClaraCli.Run("compress", "--model", "m", "--out", "o.safetensors");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr, Does.Contain("--docs"));
    }

    [TestCase("ask", "--docs", "d.jsonl", "--question", "q")]
    [TestCase("eval", "--data", "d.jsonl")]
    public void WithoutTheDefaultModelBesideItAMissingModelSaysSo(params string[] args)
    {
        // Commands that use a model fall back to models/default when the build placed one there.
        Assume.That(global::Clara.Engine.Pipeline.DefaultModel.IsInstalled, Is.False, "this build carries the default model");
        var (code, _, stderr) = ClaraCli.Run(args);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), stderr);
        Assert.That(stderr, Does.Contain("--model").And.Contain("built without the default model"));
    }

    [Test]
    public void TrainingNeverFallsBackToTheDefaultModel()
    {
        var (code, _, stderr) = ClaraCli.Run("train", "lm", "--data", "d.jsonl", "--out", "o");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), stderr);
        Assert.That(stderr, Does.Contain("--model"));
    }

    [Test]
    public void AnEngineBugIsAnInternalErrorWithItsStackTraceNotBadInput()
    {
        var (code, stderr) = RunThrowing(new InvalidOperationException("the engine broke its own invariant"));
        Assert.That(code, Is.EqualTo(ExitCodes.Internal).And.Not.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Does.Contain("internal error").And.Contain("the engine broke its own invariant").And.Contain("   at "));
    }

    [Test]
    public void AnArgumentExceptionIsAnInternalError() =>
        Assert.That(RunThrowing(new ArgumentException("a caller passed nonsense")).Code, Is.EqualTo(ExitCodes.Internal));

    [Test]
    public void InvalidInputIsBadInputWithoutAStackTrace()
    {
        var (code, stderr) = RunThrowing(new InvalidInputException("docs.jsonl:3: missing 'id'"));
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stderr, Is.EqualTo("clara probe: docs.jsonl:3: missing 'id'" + Environment.NewLine));
    }

    [Test]
    public void EachFailureHasItsDocumentedExitCode()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ExitCodes.For(new FileNotFoundException("x")), Is.EqualTo(1));
            Assert.That(ExitCodes.For(new InvalidDataException("x")), Is.EqualTo(1));
            Assert.That(ExitCodes.For(new System.Text.Json.JsonException("x")), Is.EqualTo(1));
            Assert.That(ExitCodes.For(new global::Clara.Convert.Pickle.PickleFormatException("x")), Is.EqualTo(1));
            Assert.That(ExitCodes.For(new UsageException("x")), Is.EqualTo(2));
            Assert.That(ExitCodes.For(new DllNotFoundException("libcuda.so.1")), Is.EqualTo(3));
            Assert.That(ExitCodes.For(new KeyNotFoundException("x")), Is.EqualTo(70));
            Assert.That(ExitCodes.For(new NullReferenceException()), Is.EqualTo(70));
        });
    }

    /// <summary>Runs a one-command tree whose action throws <paramref name="failure"/>.</summary>
    private static (int Code, string Stderr) RunThrowing(Exception failure)
    {
        var probe = new Command("probe");
        probe.SetAction((Func<ParseResult, int>)(_ => throw failure));
        var stderr = new StringWriter();
        int code = CommandLineRunner.Run(new RootCommand { probe }, "clara", ["probe"], new StringWriter(), stderr);
        return (code, stderr.ToString());
    }
}
