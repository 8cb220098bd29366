using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization.Streaming;

/// <summary>
/// The random id sequences the sentencepiece corpora record with sentencepiece's own decoding (byte pieces that form no
/// character, control and unknown pieces, leading "▁" at every position): streamed id by id, they read exactly as
/// sentencepiece decoded them whole.
/// </summary>
[TestFixture("bpe-bytes")]
[TestFixture("bpe-plain")]
[TestFixture("unigram")]
public sealed class SentencePieceOracleStreamTests(string model)
{
    [Test]
    public void Streaming_the_recorded_id_sequences_gives_sentencepiece_decode()
    {
        string directory = Path.Combine(Fixtures.Root, "tokenizers", "corpus", model);
        var tokenizer = TokenizerLoader.Load(directory);
        var failures = new List<string>();
        foreach (var line in File.ReadLines(Path.Combine(directory, "decode.jsonl")))
        {
            var root = JsonDocument.Parse(line).RootElement;
            var ids = root.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            string expected = root.GetProperty("text").GetString()!, streamed = StreamedDecode.Of(tokenizer, ids).Text;
            if (streamed != expected)
                failures.Add($"[{string.Join(", ", ids)}]: streamed {JsonSerializer.Serialize(streamed)}, sentencepiece {JsonSerializer.Serialize(expected)}");
        }
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }
}
