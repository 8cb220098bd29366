using Clara.CommandLine;
using NUnit.Framework;

namespace Clara.Engine.Tests.Corpus;

/// <summary>clara-corpus shares clara's parser: usage mistakes are exit 2 naming the word, out-of-range shapes are bad input.</summary>
public class CorpusCommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = global::Clara.Corpus.CorpusCommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public void AnUnknownOptionIsAUsageErrorNamingIt()
    {
        var (code, _, err) = Run("generate", "--out", "x", "--traim", "3");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(err, Does.Contain("--traim"));
    }

    [Test]
    public void AStrayWordIsAUsageError()
    {
        var (code, _, err) = Run("templates", "stray");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(err, Does.Contain("'stray'"));
    }

    [Test]
    public void HelpListsTheOptionsAndTheirDefaults()
    {
        var (code, stdout, _) = Run("make-model", "--help");
        Assert.That(code, Is.EqualTo(ExitCodes.Success));
        Assert.That(stdout, Does.Contain("--kv-heads").And.Contain("--compression-rate").And.Contain("[default: 704]"));
    }

    [Test]
    public void AShapeTheModelCannotHaveIsBadInput()
    {
        // The shape is checked before the tokenizer is read or anything is written.
        var (code, _, err) = Run("make-model", "--tokenizer", "no-such-tokenizer", "--out", "no-such-output", "--hidden", "250", "--heads", "8");
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), err);
        Assert.That(err, Does.Contain("--hidden 250"));
    }
}
