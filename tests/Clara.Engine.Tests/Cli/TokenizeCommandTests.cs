using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tests.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cli;

/// <summary>clara tokenize, run as a user runs it, gives sentencepiece's ids and texts (the corpus fixtures).</summary>
public class TokenizeCommandTests
{
    private static readonly string Model = Path.Combine(Fixtures.Root, "tokenizers", "corpus", "bpe-bytes");
    private static readonly List<CorpusCase> Cases = SentencePieceCorpusOracleTests.ReadEncodeCases(Path.Combine(Model, "encode.jsonl"));
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "clara-tok-cli-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Clara(params string[] args) => ClaraCli.Run(args);

    private static int[] Ids(JsonElement e) => e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Test]
    public void Text_gives_sentencepieces_ids_and_one_token_per_id()
    {
        var c = Cases.First(x => x.Text == "========");
        var (code, output, err) = Clara("tokenize", "--model", Model, "--text", c.Text, "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var json = JsonDocument.Parse(output);
        Assert.That(Ids(json.RootElement), Is.EqualTo(c.Ids));
        Assert.That(json.RootElement.GetProperty("tokens").GetArrayLength(), Is.EqualTo(c.Ids.Length));
    }

    [Test]
    public void Decode_gives_sentencepieces_text()
    {
        var c = Cases.First(x => x.Text.Contains("日本") && x.Ids.Length > 3);
        var (code, output, err) = Clara("tokenize", "--model", Model, "--decode", string.Join(',', c.Ids), "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var json = JsonDocument.Parse(output);
        Assert.That(json.RootElement.GetProperty("text").GetString(), Is.EqualTo(c.Decoded));
    }

    [Test]
    public void A_jsonl_file_becomes_one_ids_line_per_text()
    {
        var chosen = Cases.Where(c => c.Text.Length is > 0 and < 500).Take(40).ToList();
        string input = Path.Combine(_dir, "docs.jsonl");
        File.WriteAllLines(input, chosen.Select((c, i) => JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = $"d{i}", ["text"] = c.Text })));
        var (code, output, err) = Clara("tokenize", "--model", Model, "--file", input);
        Assert.That(code, Is.EqualTo(0), err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(chosen.Count));
        for (int i = 0; i < lines.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            Assert.That(json.RootElement.GetProperty("id").GetString(), Is.EqualTo($"d{i}"));
            Assert.That(Ids(json.RootElement), Is.EqualTo(chosen[i].Ids), chosen[i].Text);
        }
    }

    [Test]
    public void A_malformed_line_is_refused_with_its_file_and_line()
    {
        string input = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllLines(input, ["{\"id\": \"a\", \"text\": \"ok\"}", "{\"id\": \"b\"}"]);
        var (code, _, err) = Clara("tokenize", "--model", Model, "--file", input);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain($"{input}:2").And.Contain("'text'"));
    }

    [Test]
    public void Exactly_one_input_is_required()
    {
        Assert.That(Clara("tokenize", "--model", Model).Code, Is.EqualTo(2));
        Assert.That(Clara("tokenize", "--model", Model, "--text", "a", "--decode", "1").Code, Is.EqualTo(2));
    }
}
