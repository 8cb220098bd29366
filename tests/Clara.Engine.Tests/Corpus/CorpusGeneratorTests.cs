using System.Text.Json;
using System.Text.RegularExpressions;
using Clara.Corpus;
using Clara.Corpus.Generation;
using Clara.Corpus.Output;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Corpus;

/// <summary>The default model's corpus: split by entity, nothing of the test split in training text, reproducible from its seed.</summary>
public class CorpusGeneratorTests
{
    private static readonly CorpusOptions Small = new() { Seed = 7, TrainPerKind = 40, ValidationPerKind = 20, TestPerKind = 20 };
    private static readonly Lazy<GeneratedCorpus> Corpus = new(() => CorpusGenerator.Generate(Small));
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "clara-corpus-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void SplitsAreDisjointByEntity()
    {
        var entities = Corpus.Value.Entities.Select(e => e.Entity).ToList();
        Assert.That(entities.Select(e => e.Id).Distinct().Count(), Is.EqualTo(entities.Count), "entity ids");
        Assert.That(entities.Select(e => e.Name).Distinct().Count(), Is.EqualTo(entities.Count), "entity names");
        foreach (var split in Enum.GetValues<Split>())
            Assert.That(entities.Count(e => e.Split == split), Is.EqualTo(Small.Count(split) * Catalogue.Kinds.Count), $"{split} entities");
        foreach (var q in Corpus.Value.Questions)
            Assert.That(q.Candidates.Select(c => c.Split).Distinct(), Is.EqualTo(new[] { q.Entity.Split }), $"candidates of '{q.Question}'");
    }

    [Test]
    public void HeldOutNamesOccurInNoTrainingText()
    {
        StageFiles.WriteAll(Corpus.Value, _dir);
        var trainingText = string.Join("\n", Directory.GetFiles(Path.Combine(_dir, "train")).Append(Path.Combine(_dir, "tokenizer-corpus.txt")).Select(File.ReadAllText));
        bool Occurs(Entity e) => Regex.IsMatch(trainingText, $@"\b{Regex.Escape(e.Name)}\b");
        var heldOut = Corpus.Value.Entities.Select(e => e.Entity).Where(e => e.Split != Split.Train).ToList();
        Assert.That(heldOut.Where(Occurs).Select(e => e.Name), Is.Empty, "validation and test names found in training text");
        // The search must be able to find a name: every training entity is in the training text.
        Assert.That(Corpus.Value.EntitiesIn(Split.Train).All(e => Occurs(e.Entity)), Is.True);
        Assert.That(File.ReadAllText(Path.Combine(_dir, "eval", "test.jsonl")), Does.Contain(heldOut.First(e => e.Split == Split.Test).Name));
    }

    [Test]
    public void TheSameSeedWritesTheSameFilesAndAnotherSeedOthers()
    {
        string Write(string name, ulong seed)
        {
            var dir = Path.Combine(_dir, name);
            StageFiles.WriteAll(CorpusGenerator.Generate(Small with { Seed = seed }), dir);
            return dir;
        }
        var first = Write("a", 7);
        var again = Write("b", 7);
        var other = Write("c", 8);
        var files = Directory.GetFiles(first, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(first, f)).Order().ToList();
        Assert.That(files, Has.Count.GreaterThanOrEqualTo(12));
        foreach (var file in files)
            Assert.That(File.ReadAllBytes(Path.Combine(again, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(first, file))), file);
        Assert.That(File.ReadAllBytes(Path.Combine(other, "train", "e2e.jsonl")), Is.Not.EqualTo(File.ReadAllBytes(Path.Combine(first, "train", "e2e.jsonl"))));
    }

    [Test]
    public void EveryQuestionHasItsGoldDocumentAndSameShapeDistractors()
    {
        foreach (var q in Corpus.Value.Questions)
        {
            Assert.That(q.Candidates, Has.Count.EqualTo(Small.Candidates));
            Assert.That(q.Candidates[q.Gold], Is.SameAs(q.Entity));
            Assert.That(q.Candidates.Distinct().Count(), Is.EqualTo(Small.Candidates), "distinct candidates");
            Assert.That(q.Candidates.All(c => c.Kind == q.Entity.Kind), Is.True, "same kind");
            var document = Corpus.Value.Texts(q.Entity).Document;
            Assert.That(document, Does.Contain(q.Entity.Name).And.Contain(q.Answer), q.Question);
            Assert.That(q.Question, Does.Contain(q.Entity.Name));
        }
        var people = Corpus.Value.Questions.Where(q => q.Entity.Kind == EntityKind.Person).ToList();
        Assert.That(people.Count(q => q.Candidates.Any(c => c != q.Entity && c.FirstName == q.Entity.FirstName)), Is.GreaterThan(people.Count / 2),
            "questions about people with a distractor of the same first name");
        Assert.That(Corpus.Value.Questions.Count(q => q.Candidates.Any(c => c != q.Entity && c.Values[q.Attribute] == q.Answer)),
            Is.GreaterThan(Corpus.Value.Questions.Count / 4), "questions with a distractor sharing the answer");
        Assert.That(Corpus.Value.Questions.Select(q => q.Gold).Distinct().Count(), Is.GreaterThan(Small.Candidates / 2), "the gold's position varies");
    }

    [TestCase("train/lm.jsonl", new[] { "text" }, null)]
    [TestCase("train/read.jsonl", new[] { "prompt", "completion" }, null)]
    [TestCase("train/scp.jsonl", new[] { "document", "target" }, new[] { "document", "question", "target" })]
    [TestCase("train/instruct.jsonl", new[] { "docs", "question", "answer" }, null)]
    [TestCase("train/e2e.jsonl", new[] { "question", "docs", "answer", "gold" }, null)]
    [TestCase("eval/test.jsonl", new[] { "question", "docs", "answer", "gold" }, null)]
    public void StageFilesHaveTheAgreedFields(string file, string[] fields, string[]? alternative)
    {
        StageFiles.WriteAll(Corpus.Value, _dir);
        var lines = File.ReadLines(Path.Combine(_dir, file)).Select(l => JsonDocument.Parse(l).RootElement.EnumerateObject().Select(p => p.Name).ToArray()).ToList();
        Assert.That(lines, Is.Not.Empty, file);
        foreach (var names in lines)
            Assert.That(names, Is.EqualTo(fields).Or.EqualTo(alternative ?? fields), file);
        if (alternative is not null)
            Assert.That(lines.Count(n => n.SequenceEqual(alternative)), Is.GreaterThan(0), $"{file} has lines of the second form");
        if (file.EndsWith("e2e.jsonl", StringComparison.Ordinal) || file.StartsWith("eval", StringComparison.Ordinal))
            Assert.That(JsonDocument.Parse(File.ReadLines(Path.Combine(_dir, file)).First()).RootElement.GetProperty("docs").GetArrayLength(), Is.EqualTo(Small.Candidates));
    }

    [Test]
    public void ReadingLinesAskEachQuestionAfterOneFactTwoFactsAndTheDocument()
    {
        StageFiles.WriteAll(Corpus.Value, _dir);
        var lines = File.ReadLines(Path.Combine(_dir, "train", StageFiles.Reading))
            .Select(l => JsonDocument.Parse(l).RootElement).Select(r => (Prompt: r.GetProperty("prompt").GetString()!, Completion: r.GetProperty("completion").GetString()!)).ToList();
        var questions = Corpus.Value.QuestionsIn(Split.Train).ToList();
        Assert.That(lines, Has.Count.EqualTo(3 * questions.Count));
        for (int i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var (fact, pair, whole) = (lines[3 * i], lines[3 * i + 1], lines[3 * i + 2]);
            foreach (var line in new[] { fact, pair, whole })
            {
                Assert.That(line.Completion, Is.EqualTo(q.Answer));
                Assert.That(line.Prompt, Does.EndWith($" Question: {q.Question} Answer:"));
                string context = line.Prompt[..line.Prompt.IndexOf(" Question: ", StringComparison.Ordinal)];
                Assert.That(context, Does.Contain(q.Answer), "the answer is stated before the question");
            }
            Assert.That(whole.Prompt, Does.StartWith(Corpus.Value.Texts(q.Entity).Document));
            Assert.That(Sentences(fact.Prompt), Is.EqualTo(1), fact.Prompt);
            Assert.That(Sentences(pair.Prompt), Is.EqualTo(2), pair.Prompt);
        }
        static int Sentences(string prompt) => prompt[..prompt.IndexOf(" Question: ", StringComparison.Ordinal)].Count(c => c == '.');
    }

    [Test]
    public void ScpQuestionsAreCompressedFromOneFactTwoFactsAndTheDocument()
    {
        StageFiles.WriteAll(Corpus.Value, _dir);
        var qa = File.ReadLines(Path.Combine(_dir, "train", StageFiles.Scp)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.TryGetProperty("question", out _))
            .Select(r => (Document: r.GetProperty("document").GetString()!, Question: r.GetProperty("question").GetString()!, Target: r.GetProperty("target").GetString()!))
            .ToList();
        var questions = Corpus.Value.QuestionsIn(Split.Train).ToList();
        Assert.That(qa, Has.Count.EqualTo(3 * questions.Count));
        for (int i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var lines = qa.Skip(3 * i).Take(3).ToList();
            Assert.That(lines.Select(l => (l.Question, l.Target)), Is.All.EqualTo((q.Question, q.Answer)));
            Assert.That(lines.Select(l => l.Document.Count(c => c == '.')), Is.EqualTo(new[] { 1, 2, Corpus.Value.Texts(q.Entity).Facts.Count }));
            Assert.That(lines[2].Document, Is.EqualTo(Corpus.Value.Texts(q.Entity).Document));
            Assert.That(lines.Select(l => l.Document), Is.All.Contain(q.Answer), "the answer is in what is compressed");
        }
    }

    [Test]
    public void SamplesReadmeStatesTheGeneratorsTemplates()
    {
        var readme = Path.Combine(Fixtures.RepositoryRoot, "samples", "README.md");
        Assert.That(File.ReadAllText(readme).ReplaceLineEndings("\n"), Does.Contain(TemplatesMarkdown.Render()),
            "samples/README.md is out of date: paste the output of `clara-corpus templates` into it");
    }

}
