using System.Text;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Item 10: a document of many megabytes costs memory for the tokens a compression keeps (doc_max_length), not for
/// all of its text; one that cannot be cut near its start is refused by name instead of tokenized whole.
/// </summary>
public class LongDocumentTests
{
    // Before the bounded encode a 20 MB document reached 1.1 GB; what remains is the text itself (UTF-8 line,
    // UTF-16 string, the JSON reader's buffer) and the runtime.
    private const long PeakRssBound = 400L << 20;
    private const int DocumentCharacters = 20 << 20;

    private static string TinyClara => Path.Combine(Fixtures.RepositoryRoot, "samples", "tiny-clara");

    [Test]
    public void A_twenty_megabyte_document_compresses_within_a_memory_bound()
    {
        using var scratch = new HostileScratch();
        var text = new StringBuilder(DocumentCharacters + 64);
        while (text.Length < DocumentCharacters) text.Append("the cat sat on the mat while the dog slept. ");
        string docs = scratch.WriteText("docs.jsonl", $"{{\"id\":\"long\",\"text\":\"{text}\"}}\n");
        string output = scratch.File("memory.safetensors");

        var result = HostileRun.Child(["compress", "--model", TinyClara, "--docs", docs, "--out", output], heapLimitMiB: 320, timeoutSeconds: 120);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(File.Exists(output), Is.True);
        Assert.That(result.PeakRssBytes, Is.LessThan(PeakRssBound), result.ToString());
    }
}
