using Clara.Engine.AI;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Concurrency;

/// <summary>Streaming text: the deltas, joined, are exactly the decoded answer, for any token sequence.</summary>
public class StreamedTextTests
{
    [Test]
    public void DeltasJoinToTheWholeDecode()
    {
        using var model = ClaraModel.Load(Fixtures.Clara("clara-text"));
        var tokenizer = model.Tokenizer!;
        var random = new Random(7);
        for (int sequence = 0; sequence < 200; sequence++)
        {
            // Random ids over the whole vocabulary (byte-fallback pieces, control and added tokens included), and real text.
            var ids = sequence % 2 == 0
                ? Enumerable.Range(0, 1 + random.Next(40)).Select(_ => random.Next(tokenizer.VocabSize)).ToArray()
                : tokenizer.Encode(SharedClara.Corpus[sequence % SharedClara.Corpus.Length] + " " + SharedClara.Questions[sequence % 5]);
            var text = new StreamedText(tokenizer);
            var deltas = ids.Select(text.Add).ToList();
            var streamed = string.Concat(deltas) + text.Flush();
            Assert.That(streamed, Is.EqualTo(tokenizer.Decode(ids)), $"ids [{string.Join(",", ids)}]");
        }
    }

    [Test]
    public void WithoutATokenizerTheDeltasJoinToTheIdsSeparatedBySpaces()
    {
        int[] ids = [5, 17, 2, 400];
        var text = new StreamedText(tokenizer: null);
        var streamed = string.Concat(ids.Select(text.Add)) + text.Flush();
        Assert.That(streamed, Is.EqualTo("5 17 2 400"));
    }
}
