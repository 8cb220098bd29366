using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>
/// The Mistral template and the CLaRa prompt against tests/oracle/make_tokenizer_fixtures.py, which renders the
/// Jinja template's string (bos_token + '[INST] ' + content + ' [/INST]') and tokenizes it the way Hugging Face
/// does, with sentencepiece.
/// </summary>
[TestFixture("spm")]
[TestFixture("hf-legacy")]
public sealed class PromptTemplateTests(string directory)
{
    private JsonElement _expected;
    private MistralChatTemplate _template = null!;

    [OneTimeSetUp]
    public void Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Root, "tokenizers", "expected.json")));
        _expected = doc.RootElement.Clone();
        _template = new MistralChatTemplate(TokenizerLoader.Load(Path.Combine(Fixtures.Root, "tokenizers", directory)));
    }

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private int Added(string content) => _expected.GetProperty("added_tokens").GetProperty(content).GetInt32();

    [Test]
    public void User_turn_matches_the_rendered_template()
    {
        foreach (var turn in _expected.GetProperty("mistral_user_turns").EnumerateArray())
        {
            string content = turn.GetProperty("content").GetString()!;
            Assert.That(_template.UserTurn(content), Is.EqualTo(Ints(turn.GetProperty("ids"))), content);
        }
    }

    [Test]
    public void Clara_prompt_matches_the_rendered_reference_prompt()
    {
        var builder = new ClaraPromptBuilder(_template, [Added("<MEM0>"), Added("<MEM1>"), Added("<MEM2>"), Added("<MEM3>")], Added("<SEP>"));
        foreach (var prompt in _expected.GetProperty("clara_prompts").EnumerateArray())
        {
            int k = prompt.GetProperty("k").GetInt32();
            var built = builder.Build(prompt.GetProperty("question").GetString()!, k);
            int[] expected = Ints(prompt.GetProperty("ids"));
            Assert.That(built.Ids, Is.EqualTo(expected), prompt.GetProperty("rendered").GetString());

            // Each slot start is where the oracle's ids hold <MEM0> <MEM1> <MEM2> <MEM3> <SEP>.
            var oracleStarts = Enumerable.Range(0, expected.Length).Where(i => expected[i] == Added("<MEM0>")).ToArray();
            Assert.That(built.SlotStarts, Is.EqualTo(oracleStarts));
            Assert.That(oracleStarts, Has.Length.EqualTo(k));
        }
    }

    [Test]
    public void Question_ids_are_spliced_after_the_header()
    {
        var builder = new ClaraPromptBuilder(_template, [Added("<MEM0>")], Added("<SEP>"));
        var tokenizer = _template.Tokenizer;
        int[] question = tokenizer.Encode("Who wrote the novel?");
        var prompt = builder.Build(question, k: 3);
        int[] prefix = [tokenizer.BosId!.Value, .. tokenizer.Encode("[INST] " + ClaraPromptBuilder.SystemInstruction + ClaraPromptBuilder.BackgroundHeader)];
        int[] slots = [Added("<MEM0>"), Added("<SEP>"), Added("<MEM0>"), Added("<SEP>"), Added("<MEM0>"), Added("<SEP>")];
        int[] expected = [.. prefix, .. slots, .. tokenizer.Encode(ClaraPromptBuilder.QuestionHeader), .. question, .. tokenizer.Encode(" [/INST]")];
        Assert.That(prompt.Ids, Is.EqualTo(expected));
        Assert.That(prompt.SlotStarts, Is.EqualTo(new[] { prefix.Length, prefix.Length + 2, prefix.Length + 4 }));
    }

    [Test]
    public void A_question_spelling_a_memory_token_is_refused()
    {
        var builder = new ClaraPromptBuilder(_template, [Added("<MEM0>")], Added("<SEP>"));
        var error = Assert.Throws<ArgumentException>(() => builder.Build("what is <MEM0>?", k: 1));
        Assert.That(error!.Message, Does.Contain(Added("<MEM0>").ToString()));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Build("q", k: 0));
    }
}
