using Clara.Engine.Pipeline;
using Clara.Engine.Tests.IO;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using Clara.Engine.Training.Data;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>Data files of every stage, pre-tokenized and text: what they become, and bad lines refused by file, line and field.</summary>
public class TrainingDataFileTests
{
    // Memory slot = ids 90, 91 then the separator 92.
    private static readonly ExampleRules Rules = new(VocabSize: 100, MaxPositions: 30, MemoryTokenIds: [90, 91]);
    private static readonly ExampleText NoTokenizer = ExampleText.For(tokenizer: null, bos: 1, eos: 2, source: "test-model");
    private const string TwoSlots = "[1, 90, 91, 92, 90, 91, 92, 5]";

    [Test]
    public void PreTokenizedLinesOfEveryStageAreRead()
    {
        using var dir = new TempDirectory();
        var lm = Load(dir, new LmLineParser(NoTokenizer), """{"ids": [1, 5, 6]}""").Single();
        var scp = Load(dir, new ScpLineParser(NoTokenizer), """{"doc_ids": [7, 8], "prompt_ids": [1, 90, 91, 92, 4], "target_ids": [9, 2]}""").Single();
        var instruct = Load(dir, new InstructLineParser(NoTokenizer), $$"""{"docs": [[7], [8, 9]], "prompt_ids": {{TwoSlots}}, "answer_ids": [3]}""").Single();
        var e2e = Load(dir, new E2eLineParser(NoTokenizer, k: 5), $$"""{"question_ids": [4], "docs": [[7], [8], [9]], "prompt_ids": {{TwoSlots}}, "answer_ids": [3, 2], "gold": 1}""").Single();
        Assert.Multiple(() =>
        {
            Assert.That(((LmExample)lm).Ids, Is.EqualTo(new[] { 1, 5, 6 }));
            Assert.That(((ScpExample)scp).TargetIds, Is.EqualTo(new[] { 9, 2 }));
            Assert.That(((InstructExample)instruct).Docs[1], Is.EqualTo(new[] { 8, 9 }));
            var e = (E2eExample)e2e;
            Assert.That(e.Docs, Has.Count.EqualTo(3));
            Assert.That(e.SlotCount(Rules), Is.EqualTo(2), "k comes from the prompt's slots, not from --k");
            Assert.That(ExampleTokens.Stages.Targets(e), Is.EqualTo(2));
            Assert.That(ExampleTokens.Stages.Targets(lm), Is.EqualTo(2));
        });
    }

    [Test]
    public void RankLinesAreReadFromTheE2eFormWithTheirGold()
    {
        using var dir = new TempDirectory();
        var rank = (RankExample)Load(dir, new RankLineParser(NoTokenizer), """{"question_ids": [4, 5], "docs": [[7], [8, 9]], "gold": 1, "answer_ids": [3]}""").Single();
        Assert.Multiple(() =>
        {
            Assert.That(rank.QuestionIds, Is.EqualTo(new[] { 4, 5 }));
            Assert.That(rank.Docs[1], Is.EqualTo(new[] { 8, 9 }));
            Assert.That(rank.Gold, Is.EqualTo(1));
            Assert.That(ExampleTokens.Stages.Targets(rank), Is.EqualTo(1), "one choice per example");
        });
    }

    [Test]
    public void ScpRankLinesAreTheE2eFormWithItsGoldAndAOneSlotPrompt()
    {
        using var dir = new TempDirectory();
        var example = (ScpRankExample)Load(dir, new ScpRankLineParser(NoTokenizer),
            """{"question_ids": [4, 5], "docs": [[7], [8, 9], [6]], "gold": 1, "prompt_ids": [1, 90, 91, 92, 4], "answer_ids": [3, 2]}""").Single();
        Assert.Multiple(() =>
        {
            Assert.That(example.QuestionIds, Is.EqualTo(new[] { 4, 5 }));
            Assert.That(example.Docs[1], Is.EqualTo(new[] { 8, 9 }));
            Assert.That(example.Gold, Is.EqualTo(1));
            Assert.That(example.PromptIds, Is.EqualTo(new[] { 1, 90, 91, 92, 4 }));
            Assert.That(ExampleTokens.Stages.Targets(example), Is.EqualTo(2), "the answer's tokens");
        });
    }

    [TestCase("""{"question_ids": [4], "docs": [[7], [8]], "prompt_ids": [1, 90, 91, 92, 5], "answer_ids": [3]}""", "gold: is missing")]
    [TestCase("""{"question_ids": [4], "docs": [[7], [8]], "gold": 0, "prompt_ids": [1, 90, 91, 92, 90, 91, 92, 5], "answer_ids": [3]}""",
        "prompt_ids: holds 2 memory slots; an scp-rank prompt has exactly one")]
    [TestCase("""{"question_ids": [4], "docs": [[7], [8]], "gold": 0, "prompt_ids": [1, 90, 91, 92, 5]}""", "answer_ids: is missing")]
    [TestCase("""{"question_ids": [4], "docs": [[7]], "gold": 0, "prompt_ids": [1, 90, 91, 92, 5], "answer_ids": [3]}""", "docs: needs at least two candidates")]
    [TestCase("""{"question": "who?", "docs": ["a", "b"], "gold": 0, "answer": "me"}""", "is text, but test-model has no tokenizer files")]
    public void BadScpRankLinesAreRefusedByLineAndField(string line, string message)
    {
        using var dir = new TempDirectory();
        var path = dir.WriteText("scp-rank.jsonl", "\n" + line + "\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingDataFile.Load(path, new ScpRankLineParser(NoTokenizer), Rules));
        Assert.That(e!.Message, Does.Contain(":2: ").And.Contain(message));
    }

    [TestCase("""{"question_ids": [4], "docs": [[7], [8]]}""", "gold: is missing")]
    [TestCase("""{"question_ids": [4], "docs": [[7], [8]], "gold": 2}""", "gold: 2 is not an index into the 2 documents")]
    [TestCase("""{"question_ids": [4], "docs": [[7]], "gold": 0}""", "docs: needs at least two candidates")]
    [TestCase("""{"question_ids": [4], "docs": [[7], [100]], "gold": 0}""", "docs[1]: id 100 at index 0 is outside the vocabulary of 100")]
    public void BadRankLinesAreRefusedByLineAndField(string line, string message)
    {
        using var dir = new TempDirectory();
        var path = dir.WriteText("rank.jsonl", "\n" + line + "\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingDataFile.Load(path, new RankLineParser(NoTokenizer), Rules));
        Assert.That(e!.Message, Does.Contain(":2: " + message));
    }

    [TestCase("""{"question_ids": [4], "docs": [[7]], "prompt_ids": [1, 90, 91, 92, 5]}""", "answer_ids: is missing")]
    [TestCase("""{"question_ids": [4], "docs": [[7]], "prompt_ids": [1, 90, 91, 92, 90, 91, 92, 5], "answer_ids": [3]}""", "docs: k = 2 prompt slots but only 1 candidates (k > N)")]
    [TestCase("""{"question_ids": [4], "docs": [[7], [150]], "prompt_ids": [1, 90, 91, 92, 5], "answer_ids": [3]}""", "docs[1]: id 150 at index 0 is outside the vocabulary of 100")]
    [TestCase("""{"question_ids": [4], "docs": [[7]], "prompt_ids": [1, 90, 91, 92, 5], "answer_ids": [3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3]}""", "answer_ids: 31 tokens do not fit the model's context of 30")]
    [TestCase("""{"question_ids": [4], "docs": [[7]], "prompt_ids": [1, 90, 91, 92, 5], "answer_ids": [3], "gold": 4}""", "gold: 4 is not an index into the 1 documents")]
    [TestCase("""{"question_ids": [4], "docs": [[7]], "prompt_ids": [1, 90, 91, 92, 5], "answer_ids": [3, -1]}""", "answer_ids: element 1 is -1, not a token id")]
    [TestCase("""{"question": "who?", "docs": ["a"], "answer": "me"}""", "docs[0]: is text, but test-model has no tokenizer files")]
    [TestCase("""[1, 2]""", "a line must be a JSON object")]
    [TestCase("""{"question_ids": [4], """, "")]
    public void ABadLineIsRefusedByFileLineAndField(string bad, string problem)
    {
        using var dir = new TempDirectory();
        const string good = """{"question_ids": [4], "docs": [[7], [8]], "prompt_ids": [1, 90, 91, 92, 5], "answer_ids": [3]}""";
        var path = dir.WriteText("train.jsonl", good + "\n\n" + bad + "\n" + good + "\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingDataFile.Load(path, new E2eLineParser(NoTokenizer, k: 1), Rules));
        Assert.That(e!.Message, Does.StartWith($"{path}:3: "));
        Assert.That(e.Message, Does.Contain(problem));
    }

    [Test]
    public void AnEmptyFileIsRefused()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteText("empty.jsonl", "\n  \n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingDataFile.Load(path, new ScpLineParser(NoTokenizer), Rules));
        Assert.That(e!.Message, Does.Contain("holds no scp examples"));
    }

    [Test]
    public void AnScpPromptMustHaveExactlyOneSlot()
    {
        using var dir = new TempDirectory();
        var path = dir.WriteText("scp.jsonl", $$"""{"doc_ids": [7], "prompt_ids": {{TwoSlots}}, "target_ids": [9]}""" + "\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingDataFile.Load(path, new ScpLineParser(NoTokenizer), Rules));
        Assert.That(e!.Message, Does.Contain(":1: prompt_ids: holds 2 memory slots"));
    }

    [TestCase("""{"prompt_ids": [5, 6], "completion_ids": []}""")]
    [TestCase("""{"prompt_ids": [], "completion_ids": [5, 6]}""")]
    public void AnLmCompletionNeedsAPromptAndAToken(string line)
    {
        using var dir = new TempDirectory();
        var path = dir.WriteText("lm.jsonl", line + "\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingDataFile.Load(path, new LmLineParser(NoTokenizer), Rules));
        Assert.That(e!.Message, Does.Contain(":1: completion_ids: must follow a non-empty prompt"));
    }

    [Test]
    public void TextLinesGoThroughTheModelsTokenizerAndPrompt()
    {
        using var model = ClaraModel.Load(Fixtures.Clara("clara-text"));
        var text = ExampleText.For(model);
        var rules = new ExampleRules(model.Decoder.Config.VocabSize, model.Decoder.Config.MaxPositionEmbeddings, model.Config.MemTokenIds);
        using var dir = new TempDirectory();
        const string question = "What is the capital of France?";
        var e2e = (E2eExample)Load(dir, new E2eLineParser(text, k: 2), rules,
            $$"""{"question": "{{question}}", "docs": ["Paris is in France.", "Rome is in Italy.", "Bern is in Switzerland."], "answer": "Paris", "gold": 0}""").Single();
        var instruct = (InstructExample)Load(dir, new InstructLineParser(text), rules,
            $$"""{"docs": ["Paris is in France."], "question": "{{question}}", "answer": "Paris"}""").Single();
        var scp = (ScpExample)Load(dir, new ScpLineParser(text), rules, """{"document": "Paris is in France.", "target": "France holds Paris."}""").Single();
        var lm = (LmExample)Load(dir, new LmLineParser(text), rules, """{"text": "Paris is in France."}""").Single();
        var completion = (LmExample)Load(dir, new LmLineParser(text), rules, """{"prompt": "Where is Paris?", "completion": "in France"}""").Single();
        int eos = model.Config.EosTokenId;
        Assert.Multiple(() =>
        {
            Assert.That(e2e.QuestionIds, Is.EqualTo(model.Encode(question)));
            Assert.That(e2e.PromptIds, Is.EqualTo(model.BuildPrompt(question, 2)));
            Assert.That(e2e.Docs[2], Is.EqualTo(model.Encode("Bern is in Switzerland.")));
            Assert.That(e2e.AnswerIds, Is.EqualTo(model.Encode("Paris").Append(eos)));
            Assert.That(instruct.PromptIds, Is.EqualTo(model.BuildPrompt(question, 1)));
            Assert.That(scp.PromptIds, Is.EqualTo(model.BuildPrompt(ScpLineParser.ParaphraseInstruction, 1)));
            Assert.That(scp.TargetIds, Is.EqualTo(model.Encode("France holds Paris.").Append(eos)));
            Assert.That(lm.Ids, Is.EqualTo(model.Encode("Paris is in France.").Prepend(model.Config.BosTokenId).Append(eos)));
            Assert.That(completion.Ids, Is.EqualTo(lm.Ids.Take(1).Concat(model.Encode("Where is Paris?")).Concat(model.Encode("in France")).Append(eos)));
            Assert.That(completion.LossFrom, Is.EqualTo(1 + model.Encode("Where is Paris?").Length), "the loss starts at the completion");
        });
    }

    [Test]
    public void TextE2eRefusesKAboveN()
    {
        using var model = ClaraModel.Load(Fixtures.Clara("clara-text"));
        var rules = new ExampleRules(model.Decoder.Config.VocabSize, model.Decoder.Config.MaxPositionEmbeddings, model.Config.MemTokenIds);
        using var dir = new TempDirectory();
        var path = dir.WriteText("e2e.jsonl", """{"question": "Who?", "docs": ["a", "b"], "answer": "c"}""" + "\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingDataFile.Load(path, new E2eLineParser(ExampleText.For(model), k: 3), rules));
        Assert.That(e!.Message, Does.Contain(":1: docs: k = 3 but only 2 candidates (k > N; see --k)"));
    }

    private static IReadOnlyList<TrainingExample> Load(TempDirectory dir, IExampleLineParser parser, string line) => Load(dir, parser, Rules, line);

    private static IReadOnlyList<TrainingExample> Load(TempDirectory dir, IExampleLineParser parser, ExampleRules rules, string line) =>
        TrainingDataFile.Load(dir.WriteText($"{Guid.NewGuid():N}.jsonl", line + "\n"), parser, rules);
}
