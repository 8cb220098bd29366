using Clara.Engine.Tokenization;
using NUnit.Framework;
using static Clara.Engine.Tests.Tokenization.SentencePieceModelWriter;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>
/// A SentencePiece model written by the test from a vocabulary it chooses; every expectation is a list of piece
/// strings whose ids are looked up in that vocabulary. The merge paths follow SentencePiece BPE (repeatedly merge
/// the adjacent pair whose result scores highest): "▁hello" = ▁h, ll, ▁he, llo, ▁hello.
/// </summary>
[TestFixture]
public sealed class HandBuiltSentencePieceTests
{
    private static readonly string[] Normal =
        ["▁", "h", "e", "l", "o", "w", "r", "d", "▁h", "▁w", "ll", "or", "ld", "▁he", "llo", "▁wor", "▁hello", "▁world"];

    private TempDirectory _dir = null!;
    private List<Piece> _pieces = null!;
    private ITextTokenizer _tokenizer = null!;

    private int Id(string piece) =>
        piece switch
        {
            "<MEM0>" => _pieces.Count,
            "<SEP>" => _pieces.Count + 1,
            "<note>" => _pieces.Count + 2,
            _ => _pieces.FindIndex(p => p.Text == piece) is var i and >= 0 ? i : throw new ArgumentException($"no piece '{piece}'"),
        };

    private int[] Ids(params string[] pieces) => pieces.Select(Id).ToArray();

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _pieces = LlamaStylePieces(Normal);
        File.WriteAllBytes(_dir.File("tokenizer.model"), Write(_pieces));
        int first = _pieces.Count;
        File.WriteAllText(_dir.File("tokenizer_config.json"), $$"""
            {
              "added_tokens_decoder": {
                "{{first}}": { "content": "<MEM0>", "special": true },
                "{{first + 1}}": { "content": "<SEP>", "special": true },
                "{{first + 2}}": { "content": "<note>", "special": false }
              },
              "bos_token": "<s>", "eos_token": "</s>"
            }
            """);
        _tokenizer = TokenizerLoader.Load(_dir.Path);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase("hello world", new[] { "▁hello", "▁world" })]
    [TestCase("hello  world", new[] { "▁hello", "▁", "▁world" })]
    [TestCase(" hello", new[] { "▁", "▁hello" })]
    [TestCase("world hello", new[] { "▁world", "▁hello" })]
    [TestCase("hold", new[] { "▁h", "o", "ld" })]
    [TestCase("héllo", new[] { "▁h", "<0xC3>", "<0xA9>", "llo" })]
    [TestCase("", new string[0])]
    public void Encodes_by_the_vocabulary(string text, string[] pieces) =>
        Assert.That(_tokenizer.Encode(text), Is.EqualTo(Ids(pieces)));

    [TestCase("hello world")]
    [TestCase("hello  world")]
    [TestCase(" hello")]
    [TestCase("héllo wörld")]
    [TestCase("日本")]
    public void Decode_inverts_encode(string text) =>
        Assert.That(_tokenizer.Decode(_tokenizer.Encode(text)), Is.EqualTo(text));

    [Test]
    public void Added_tokens_encode_as_single_ids_and_split_the_text()
    {
        // Each stretch between added tokens is its own SentencePiece input, so "world" gets the dummy prefix.
        Assert.That(_tokenizer.Encode("hello<MEM0>world"), Is.EqualTo(Ids("▁hello", "<MEM0>", "▁world")));
        Assert.That(_tokenizer.Encode("<MEM0><SEP>"), Is.EqualTo(Ids("<MEM0>", "<SEP>")));
        Assert.That(_tokenizer.Encode("<s>hello</s>"), Is.EqualTo(Ids("<s>", "▁hello", "</s>")));
    }

    [Test]
    public void Decode_skips_special_ids_and_keeps_plain_added_tokens()
    {
        Assert.That(_tokenizer.Decode(Ids("<s>", "▁hello", "<MEM0>", "<SEP>", "▁world", "</s>")), Is.EqualTo("hello world"));
        Assert.That(_tokenizer.Decode(Ids("▁hello", "<note>")), Is.EqualTo("hello<note>"));
        Assert.That(_tokenizer.Decode(Ids("<unk>")), Is.EqualTo(""));
    }

    [Test]
    public void Reports_special_ids_and_vocabulary_size()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_tokenizer.BosId, Is.EqualTo(Id("<s>")));
            Assert.That(_tokenizer.EosId, Is.EqualTo(Id("</s>")));
            Assert.That(_tokenizer.VocabSize, Is.EqualTo(_pieces.Count + 3));
            Assert.That(_tokenizer.SpecialTokens, Is.EquivalentTo(new Dictionary<string, int>
            {
                ["<unk>"] = Id("<unk>"), ["<s>"] = Id("<s>"), ["</s>"] = Id("</s>"), ["<MEM0>"] = Id("<MEM0>"), ["<SEP>"] = Id("<SEP>"),
            }));
        });
    }

    [Test]
    public void Decode_refuses_ids_outside_the_vocabulary()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([Id("▁hello"), _pieces.Count + 3]));
        Assert.That(error!.Message, Does.Contain((_pieces.Count + 3).ToString()));
        Assert.Throws<ArgumentOutOfRangeException>(() => _tokenizer.Decode([-1]));
    }

    [Test]
    public void Without_config_files_the_model_pieces_still_give_bos_and_eos()
    {
        File.Delete(_dir.File("tokenizer_config.json"));
        var bare = TokenizerLoader.Load(_dir.Path);
        Assert.Multiple(() =>
        {
            Assert.That(bare.BosId, Is.EqualTo(Id("<s>")));
            Assert.That(bare.EosId, Is.EqualTo(Id("</s>")));
            Assert.That(bare.VocabSize, Is.EqualTo(_pieces.Count));
            Assert.That(bare.Encode("<s>hello"), Is.EqualTo(Ids("<s>", "▁hello")));
        });
    }

    [Test]
    public void A_malformed_model_file_is_refused_naming_it()
    {
        File.WriteAllBytes(_dir.File("tokenizer.model"), [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]);
        var error = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_dir.Path));
        Assert.That(error!.Message, Does.Contain("tokenizer.model"));
    }

    [Test]
    public void Conflicting_added_token_ids_are_refused_naming_both_files()
    {
        File.WriteAllText(_dir.File("added_tokens.json"), $$"""{ "<MEM0>": {{_pieces.Count + 7}} }""");
        var error = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(_dir.Path));
        Assert.That(error!.Message, Does.Contain("added_tokens.json").And.Contain("tokenizer_config.json").And.Contain("<MEM0>"));
    }
}
