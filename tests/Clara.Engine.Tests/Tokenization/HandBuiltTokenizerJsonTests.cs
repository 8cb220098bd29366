using System.Text.Json;
using System.Text.Json.Nodes;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>
/// tokenizer.json files written by the test: expectations are token strings looked up in the vocabulary the test
/// chose, following Hugging Face's BPE (apply the lowest-ranked merge present until none applies).
/// </summary>
[TestFixture]
public sealed class HandBuiltTokenizerJsonTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static readonly string[] ByteLevelVocab =
        ["h", "e", "l", "o", "w", "r", "d", "Ġ", "Ã", "©", "he", "ll", "llo", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld"];

    private static readonly string[] ByteLevelMerges = ["h e", "l l", "ll o", "he llo", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"];

    private static JsonObject TokenizerJson(IReadOnlyList<string> vocab, IEnumerable<string> merges, JsonNode? normalizer, JsonNode? preTokenizer,
        JsonNode? decoder, string? unk = null, bool byteFallback = false, IEnumerable<(string Content, bool Special)>? added = null)
    {
        var vocabObject = new JsonObject();
        for (int i = 0; i < vocab.Count; i++) vocabObject[vocab[i]] = i;
        var addedArray = new JsonArray();
        foreach (var (content, special) in added ?? [])
            addedArray.Add(new JsonObject { ["id"] = vocab.Count + addedArray.Count, ["content"] = content, ["special"] = special });
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = addedArray,
            ["normalizer"] = normalizer,
            ["pre_tokenizer"] = preTokenizer,
            ["decoder"] = decoder,
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["unk_token"] = unk, ["fuse_unk"] = true, ["byte_fallback"] = byteFallback,
                ["vocab"] = vocabObject, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
            },
        };
    }

    private ITextTokenizer Load(JsonObject json)
    {
        File.WriteAllText(_dir.File("tokenizer.json"), json.ToJsonString());
        return TokenizerLoader.Load(_dir.Path);
    }

    private static JsonObject ByteLevel(bool useRegex = true) => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = useRegex };

    [Test]
    public void Byte_level_bpe_follows_its_merges_and_round_trips()
    {
        var tokenizer = Load(TokenizerJson(ByteLevelVocab, ByteLevelMerges, null, ByteLevel(), ByteLevel(), added: [("<|endoftext|>", true)]));
        int Id(string token) => token == "<|endoftext|>" ? ByteLevelVocab.Length : Array.IndexOf(ByteLevelVocab, token);
        Assert.Multiple(() =>
        {
            Assert.That(tokenizer.Encode("hello world"), Is.EqualTo(new[] { Id("hello"), Id("Ġworld") }));
            // GPT-2's split leaves one space of a run for the next word: "hello", " ", " world".
            Assert.That(tokenizer.Encode("hello  world"), Is.EqualTo(new[] { Id("hello"), Id("Ġ"), Id("Ġworld") }));
            // é is UTF-8 C3 A9, which byte-level BPE writes as "Ã©".
            Assert.That(tokenizer.Encode("hé"), Is.EqualTo(new[] { Id("h"), Id("Ã"), Id("©") }));
            Assert.That(tokenizer.Encode("hello<|endoftext|>world"), Is.EqualTo(new[] { Id("hello"), Id("<|endoftext|>"), Id("w"), Id("or"), Id("ld") }));
            Assert.That(tokenizer.Decode([Id("hello"), Id("Ġworld"), Id("Ġ"), Id("h"), Id("Ã"), Id("©"), Id("<|endoftext|>")]), Is.EqualTo("hello world hé"));
            Assert.That(tokenizer.SpecialTokens, Is.EquivalentTo(new Dictionary<string, int> { ["<|endoftext|>"] = Id("<|endoftext|>") }));
            Assert.That(tokenizer.VocabSize, Is.EqualTo(ByteLevelVocab.Length + 1));
        });
    }

    [Test]
    public void A_bounded_byte_level_encode_takes_words_only_as_far_as_it_keeps()
    {
        var tokenizer = Load(TokenizerJson(ByteLevelVocab, ByteLevelMerges, null, ByteLevel(), ByteLevel()));
        string text = string.Concat(Enumerable.Repeat("hello world  hé, world's 42 ", 400));
        var whole = tokenizer.Encode(text);
        foreach (int kept in new[] { 1, 2, 3, 7, 100, whole.Length - 1, whole.Length + 5 })
            Assert.That(tokenizer.Encode(text, kept), Is.EqualTo(whole.Take(kept).ToArray()), $"{kept} tokens");
        string giantWord = new('h', ExactCutSearch.MaxUncutCharacters + 1);
        var e = Assert.Throws<InvalidDataException>(() => tokenizer.Encode("hello " + giantWord, 4));
        Assert.That(e!.Message, Does.Contain("can be cut"));
        Assert.That(tokenizer.Encode("hello world " + giantWord, 2), Is.EqualTo(new[] { Array.IndexOf(ByteLevelVocab, "hello"), Array.IndexOf(ByteLevelVocab, "Ġworld") }),
            "a giant word past the kept tokens is never read");
    }

    [Test]
    public void Split_then_byte_level_uses_the_files_regex()
    {
        // Split on single characters: no merge can apply, every character is its own word.
        var pre = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = "." }, ["behavior"] = "Isolated", ["invert"] = false },
                ByteLevel(useRegex: false)),
        };
        var tokenizer = Load(TokenizerJson(ByteLevelVocab, ByteLevelMerges, null, pre, ByteLevel()));
        int Id(string token) => Array.IndexOf(ByteLevelVocab, token);
        Assert.That(tokenizer.Encode("hello"), Is.EqualTo(new[] { Id("h"), Id("e"), Id("l"), Id("l"), Id("o") }));
    }

    [Test]
    public void Metaspace_without_byte_fallback_fuses_unknown_characters()
    {
        string[] vocab = ["<unk>", "▁", "h", "e", "▁h"];
        var metaspace = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = false };
        var tokenizer = Load(TokenizerJson(vocab, ["▁ h"], null, metaspace, metaspace.DeepClone(), unk: "<unk>"));
        int Id(string token) => Array.IndexOf(vocab, token);
        Assert.Multiple(() =>
        {
            Assert.That(tokenizer.Encode("hé"), Is.EqualTo(new[] { Id("▁h"), Id("<unk>") }));
            Assert.That(tokenizer.Encode("héé"), Is.EqualTo(new[] { Id("▁h"), Id("<unk>") }), "consecutive unknowns fuse");
            Assert.That(tokenizer.Encode("héhé"), Is.EqualTo(new[] { Id("▁h"), Id("<unk>"), Id("h"), Id("<unk>") }));
            Assert.That(tokenizer.Encode("h é"), Is.EqualTo(new[] { Id("▁h"), Id("▁"), Id("<unk>") }));
            Assert.That(tokenizer.Decode([Id("▁h"), Id("<unk>"), Id("▁"), Id("h"), Id("e")]), Is.EqualTo("h he"));
        });
    }

    [Test]
    public void Metaspace_with_split_merges_within_words_only()
    {
        string[] vocab = ["<unk>", "▁", "a", "a▁", "▁a▁", "▁a"];
        string[] merges = ["a ▁", "▁ a▁", "▁ a"];
        var metaspace = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = true };
        var split = Load(TokenizerJson(vocab, merges, null, metaspace, metaspace.DeepClone(), unk: "<unk>"));
        int Id(string token) => Array.IndexOf(vocab, token);
        // Split, "▁a▁a" is the words "▁a" "▁a"; whole, "a ▁" merges first and "▁a▁" wins.
        Assert.That(split.Encode("a a"), Is.EqualTo(new[] { Id("▁a"), Id("▁a") }));
        var noSplit = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = false };
        var whole = Load(TokenizerJson(vocab, merges, null, noSplit, noSplit.DeepClone(), unk: "<unk>"));
        Assert.That(whole.Encode("a a"), Is.EqualTo(new[] { Id("▁a▁"), Id("a") }));
    }

    [TestCase("Unigram")]
    [TestCase("WordPiece")]
    [TestCase("WordLevel")]
    public void Other_model_types_are_refused_by_name(string type)
    {
        var json = TokenizerJson(ByteLevelVocab, ByteLevelMerges, null, ByteLevel(), ByteLevel());
        json["model"]!["type"] = type;
        var error = Assert.Throws<NotSupportedException>(() => Load(json));
        Assert.That(error!.Message, Does.Contain(type).And.Contain("tokenizer.json"));
    }

    [Test]
    public void Unsupported_normalizers_and_pre_tokenizers_are_refused_by_name()
    {
        var nfkc = TokenizerJson(ByteLevelVocab, ByteLevelMerges, new JsonObject { ["type"] = "NFKC" }, null, ByteLevel());
        Assert.That(Assert.Throws<NotSupportedException>(() => Load(nfkc))!.Message, Does.Contain("NFKC"));
        var whitespace = TokenizerJson(ByteLevelVocab, ByteLevelMerges, null, new JsonObject { ["type"] = "Whitespace" }, ByteLevel());
        Assert.That(Assert.Throws<NotSupportedException>(() => Load(whitespace))!.Message, Does.Contain("Whitespace"));
    }

    [Test]
    public void A_merge_outside_the_vocabulary_is_refused_naming_the_file()
    {
        var json = TokenizerJson(ByteLevelVocab, [.. ByteLevelMerges, "Ġworld Ġworld"], null, ByteLevel(), ByteLevel());
        var error = Assert.Throws<InvalidDataException>(() => Load(json));
        Assert.That(error!.Message, Does.Contain("tokenizer.json"));
    }

    [Test]
    public void Newer_merge_format_as_pairs_is_read()
    {
        var json = TokenizerJson(ByteLevelVocab, [], null, ByteLevel(), ByteLevel());
        json["model"]!["merges"] = new JsonArray(ByteLevelMerges.Select(m => (JsonNode)new JsonArray(m.Split(' ').Select(p => (JsonNode)JsonValue.Create(p)!).ToArray())).ToArray());
        var tokenizer = Load(json);
        Assert.That(tokenizer.Encode("hello world"), Is.EqualTo(new[] { Array.IndexOf(ByteLevelVocab, "hello"), Array.IndexOf(ByteLevelVocab, "Ġworld") }));
    }

    [Test]
    public void Missing_tokenizer_files_name_the_directory_and_the_files_looked_for()
    {
        var error = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(_dir.Path));
        Assert.That(error!.Message, Does.Contain(_dir.Path).And.Contain("tokenizer.model").And.Contain("tokenizer.json"));
        Assert.That(TokenizerLoader.Exists(_dir.Path), Is.False);
        Assert.Throws<DirectoryNotFoundException>(() => TokenizerLoader.Load(_dir.File("absent")));
    }

    [Test]
    public void Tokenizer_model_is_preferred_over_tokenizer_json()
    {
        File.Copy(Path.Combine(Fixtures.Root, "tokenizers", "spm", "tokenizer.model"), _dir.File("tokenizer.model"));
        File.WriteAllText(_dir.File("tokenizer.json"), TokenizerJson(ByteLevelVocab, ByteLevelMerges, null, ByteLevel(), ByteLevel()).ToJsonString());
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Root, "tokenizers", "expected.json")));
        var helloWorld = doc.RootElement.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("text").GetString() == "Hello world");
        Assert.That(TokenizerLoader.Load(_dir.Path).Encode("Hello world"),
            Is.EqualTo(helloWorld.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()));
    }
}
