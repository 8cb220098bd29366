using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization.Streaming;

/// <summary>
/// Every tokenizer fixture the repository has (SentencePiece BPE with and without byte fallback, unigram, the
/// clara-text model; tokenizer.json Metaspace with the legacy decoder chain and added tokens; a byte-level BPE written
/// here): ids fed one at a time must give, concatenated, exactly the full Decode of the same ids, with no U+FFFD in a
/// delta unless the full decode has one. The reference is the tokenizer's own Decode, itself checked against
/// sentencepiece and Hugging Face by the oracle tests.
/// </summary>
[TestFixtureSource(nameof(Tokenizers))]
public sealed class IncrementalDetokenizerTests(string name)
{
    public static readonly string[] Tokenizers =
        ["corpus/bpe-bytes", "corpus/bpe-plain", "corpus/unigram", "default-style", "spm", "clara-text", "hf-legacy", "hf-metaspace", "added/legacy",
         "added/metaspace", "byte-level"];

    /// <summary>Accents, CJK, emoji (outside the BMP: surrogate pairs, several byte-fallback pieces), added tokens written in the text, odd spaces.</summary>
    private static readonly string[] Texts =
    [
        "Hello world", "Café naïve résumé — déjà vu", "東京は日本の首都です。", "emoji 🎉👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", " leading space", "two  spaces\tand\nnewline ",
        "<MEM0> after an added token", "mixed <SEP>text<s> and </s>", "a <tag> b <mask> c [W]", "Ünïcödé ✓ ☃ ∑ ≠", "中文 and English mixed 😀 end",
        "é", "中", "🎉", "  ", "the world", "<extra> the <|endoftext|> world é中",
    ];

    private TempDirectory? _temp;
    private ITextTokenizer _tokenizer = null!;
    private List<string> _fixtureTexts = [];
    private List<int> _decodableIds = [];

    [OneTimeSetUp]
    public void Load()
    {
        string directory;
        if (name == "byte-level")
        {
            _temp = new TempDirectory();
            ByteLevelTokenizerJson.Write(_temp.Path);
            directory = _temp.Path;
        }
        else
        {
            directory = name == "clara-text" ? Fixtures.Clara(name) : Path.Combine(Fixtures.Root, "tokenizers", name);
        }
        _tokenizer = TokenizerLoader.Load(directory);
        _fixtureTexts = FixtureTexts(directory);
        // Some vocabularies have holes (ids no token has); Decode refuses those, and so does the stream (tested apart).
        _decodableIds = Enumerable.Range(0, _tokenizer.VocabSize).Where(Decodable).ToList();
    }

    [OneTimeTearDown]
    public void Clean() => _temp?.Dispose();

    private bool Decodable(int id)
    {
        try
        {
            _tokenizer.Decode([id]);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>The texts the fixture's oracle files hold (sentencepiece corpora, Hugging Face added-token cases), when it has them.</summary>
    private static List<string> FixtureTexts(string directory)
    {
        foreach (var file in new[] { "encode.jsonl", "texts.jsonl" })
        {
            string path = Path.Combine(directory, file);
            if (File.Exists(path))
                return File.ReadLines(path).Take(300).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!).ToList();
        }
        return [];
    }

    [Test]
    public void Streaming_the_ids_of_real_texts_gives_their_full_decode()
    {
        var failures = new List<string>();
        foreach (var text in Texts.Concat(_fixtureTexts))
        {
            var ids = _tokenizer.Encode(text);
            // As an answer ends: the EOS id (special, skipped by Decode) after the text.
            int[] answer = _tokenizer.EosId is int eos ? [.. ids, eos] : ids;
            Check(answer, JsonSerializer.Serialize(text.Length > 60 ? text[..60] : text), failures);
        }
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }

    [Test]
    public void Streaming_random_ids_gives_their_full_decode()
    {
        // Random ids over the whole vocabulary: specials inside runs, added tokens between runs, byte pieces that
        // form no character, unknown pieces, pieces whose leading "▁" is or is not dropped.
        var random = new Random(1234);
        var failures = new List<string>();
        for (int sequence = 0; sequence < 400; sequence++)
        {
            var ids = Enumerable.Range(0, random.Next(1, 40)).Select(_ => _decodableIds[random.Next(_decodableIds.Count)]).ToArray();
            Check(ids, $"[{string.Join(", ", ids)}]", failures);
        }
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }

    [Test]
    public void Each_token_of_a_long_answer_is_decoded_a_bounded_number_of_times()
    {
        // 2 000 tokens of multilingual text: decoding the whole answer again at every token would look at
        // 2 000 × 2 001 / 2 pieces; the stream looks at each once.
        var ids = new List<int>();
        for (int i = 0; ids.Count < 2000; i++) ids.AddRange(_tokenizer.Encode(Texts[i % Texts.Length] + " "));
        var answer = ids.Take(2000).ToArray();

        var streamed = StreamedDecode.Of(_tokenizer, answer);

        Assert.That(streamed.Text, Is.EqualTo(_tokenizer.Decode(answer)));
        Assert.That(streamed.PiecesDecoded, Is.InRange(1, answer.Length));
    }

    [Test]
    public void A_special_id_adds_no_text()
    {
        var specials = _tokenizer.SpecialTokens.Values.Where(id => id < _tokenizer.VocabSize).ToList();
        if (specials.Count == 0) Assert.Ignore($"{name} has no special token");
        var stream = _tokenizer.DecodeStream();
        Assert.Multiple(() =>
        {
            foreach (int id in specials) Assert.That(stream.Add(id), Is.Empty, $"special id {id}");
            Assert.That(stream.Finish(), Is.Empty);
        });
    }

    [Test]
    public void An_id_outside_the_vocabulary_is_refused_as_decode_refuses_it()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([_tokenizer.VocabSize]));
        var stream = _tokenizer.DecodeStream();
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Add(_tokenizer.VocabSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Add(-1));
    }

    [Test]
    public void A_finished_stream_takes_no_more_ids()
    {
        var stream = _tokenizer.DecodeStream();
        stream.Add(_decodableIds[0]);
        stream.Finish();
        Assert.Throws<InvalidOperationException>(() => stream.Add(_decodableIds[0]));
    }

    private void Check(int[] ids, string label, List<string> failures)
    {
        string full = _tokenizer.Decode(ids);
        var streamed = StreamedDecode.Of(_tokenizer, ids);
        if (streamed.Text != full)
            failures.Add($"{label}: streamed {JsonSerializer.Serialize(streamed.Text)}, decoded {JsonSerializer.Serialize(full)}");
        else if (!full.Contains('\uFFFD') && streamed.Deltas.Any(d => d.Contains('\uFFFD')))
            failures.Add($"{label}: a delta holds U+FFFD: {JsonSerializer.Serialize(streamed.Deltas)}");
    }
}
