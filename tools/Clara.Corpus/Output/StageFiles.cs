using System.Text.Json;
using Clara.Corpus.Generation;

namespace Clara.Corpus.Output;

/// <summary>
/// Writes the corpus as the training stages read it (the text forms the team agreed on):
/// lm {"text"} (read.jsonl: {"prompt","completion"}, the reading curriculum); scp {"document","target"} (paraphrase and facts) or {"document","question","target"} (QA); instruct {"docs","question","answer"}; e2e and eval
/// {"question","docs","answer","gold"}. Train files hold train entities only; eval/test.jsonl holds the test entities.
/// </summary>
public static class StageFiles
{
    public const string Lm = "lm.jsonl";
    public const string Scp = "scp.jsonl";
    public const string Instruct = "instruct.jsonl";
    public const string E2e = "e2e.jsonl";
    public const string Reading = "read.jsonl";

    /// <returns>Each written file (relative to <paramref name="directory"/>) and its line count.</returns>
    public static IReadOnlyDictionary<string, int> WriteAll(GeneratedCorpus corpus, string directory)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var random = new SeededRandom(corpus.Options.Seed).Fork("stage-files");
        foreach (var (split, folder) in new[] { (Split.Train, "train"), (Split.Validation, "validation") })
        {
            counts[$"{folder}/{Lm}"] = WriteLm(corpus, split, Path.Combine(directory, folder, Lm));
            counts[$"{folder}/{Scp}"] = WriteScp(corpus, split, Path.Combine(directory, folder, Scp), random.Fork($"scp-{folder}"));
            counts[$"{folder}/{Instruct}"] = WriteInstruct(corpus, split, Path.Combine(directory, folder, Instruct), random);
            counts[$"{folder}/{E2e}"] = WriteE2e(corpus, split, Path.Combine(directory, folder, E2e));
            counts[$"{folder}/{Reading}"] = WriteReading(corpus, split, Path.Combine(directory, folder, Reading), random.Fork($"reading-{folder}"));
        }
        counts["eval/validation.jsonl"] = WriteE2e(corpus, Split.Validation, Path.Combine(directory, "eval", "validation.jsonl"));
        counts["eval/test.jsonl"] = WriteE2e(corpus, Split.Test, Path.Combine(directory, "eval", "test.jsonl"));
        counts["test-documents.jsonl"] = WriteDocuments(corpus, Split.Test, Path.Combine(directory, "test-documents.jsonl"));
        counts["entities.jsonl"] = WriteEntities(corpus, Path.Combine(directory, "entities.jsonl"));
        var tokenizerLines = TrainingTexts(corpus).ToList();
        TextLines.Write(Path.Combine(directory, "tokenizer-corpus.txt"), tokenizerLines);
        counts["tokenizer-corpus.txt"] = tokenizerLines.Count;
        return counts;
    }

    /// <summary>
    /// A reading-comprehension line: a document followed by every question about it with its answer, so base
    /// pretraining sees questions answered from the facts stated before them. All of a document's questions share one
    /// line because the answers are the only tokens that teach reading: one question a line left them about 5 % of the
    /// loss, and a model trained on that copied names but never learned to look an attribute up (default-model run 2).
    /// </summary>
    public static string ReadingLine(string document, IEnumerable<(string Question, string Answer)> pairs) =>
        document + string.Concat(pairs.Select(p => $" Question: {p.Question} Answer: {p.Answer}"));

    /// <summary>Every text of the train split: what the tokenizer is trained on, and what no test name may occur in.</summary>
    public static IEnumerable<string> TrainingTexts(GeneratedCorpus corpus)
    {
        foreach (var e in corpus.EntitiesIn(Split.Train))
        {
            yield return e.Document;
            yield return e.Paraphrase;
            foreach (var fact in e.Facts) yield return fact;
        }
        foreach (var q in corpus.QuestionsIn(Split.Train))
        {
            yield return q.Question;
            yield return q.Answer;
        }
    }

    private static int WriteLm(GeneratedCorpus corpus, Split split, string path)
    {
        using var file = new JsonLines(path);
        foreach (var e in corpus.EntitiesIn(split))
            file.Write(w => w.WriteString("text", e.Paraphrase));
        // Questions are generated entity by entity (in the catalogue's attribute order); a line holds all of one entity's.
        foreach (var group in corpus.QuestionsIn(split).GroupBy(q => q.Entity))
            file.Write(w => w.WriteString("text", ReadingLine(corpus.Texts(group.Key).Document, group.Select(q => (q.Question, q.Answer)))));
        return file.Count;
    }

    /// <summary>
    /// The reading curriculum for stage lm, prompt/completion lines whose loss is the answer alone: each question
    /// after each of its <see cref="ReadingContexts"/>.
    /// </summary>
    private static int WriteReading(GeneratedCorpus corpus, Split split, string path, SeededRandom random)
    {
        using var file = new JsonLines(path);
        foreach (var q in corpus.QuestionsIn(split))
            foreach (var context in ReadingContexts(corpus, q, random))
                file.Write(w =>
                {
                    w.WriteString("prompt", $"{context} Question: {q.Question} Answer:");
                    w.WriteString("completion", q.Answer);
                });
        return file.Count;
    }

    /// <summary>
    /// What a question is read from, easiest first: the one fact it asks about, that fact and one other (in random
    /// order), and the whole document. A model trained on whole documents only never learned the lookup (runs 2 and
    /// 3); one trained on single facts learned to copy but did not carry it over to documents; the mix of the three
    /// did, in text (docs/default-model.md, run 4) and from compressed memory (run 5).
    /// </summary>
    public static string[] ReadingContexts(GeneratedCorpus corpus, QuestionItem q, SeededRandom random)
    {
        var texts = corpus.Texts(q.Entity);
        var attributes = Catalogue.Attributes(q.Entity.Kind);
        int asked = Enumerable.Range(0, attributes.Count).First(i => attributes[i].Key == q.Attribute);
        int other = (asked + 1 + random.Next(attributes.Count - 1)) % attributes.Count;
        var pair = random.Next(2) == 0 ? $"{texts.Facts[asked]} {texts.Facts[other]}" : $"{texts.Facts[other]} {texts.Facts[asked]}";
        return [texts.Facts[asked], pair, texts.Document];
    }

    private static int WriteScp(GeneratedCorpus corpus, Split split, string path, SeededRandom random)
    {
        using var file = new JsonLines(path);
        // The paraphrase and each fact sentence as targets: they name the entity, so the compressor has to keep the
        // name, which is what the query reasoner's cosine finds the document by.
        foreach (var e in corpus.EntitiesIn(split))
            foreach (var target in e.Facts.Prepend(e.Paraphrase))
                file.Write(w =>
                {
                    w.WriteString("document", e.Document);
                    w.WriteString("target", target);
                });
        // QA pairs (the spec's "one of its QA answers"), each compressed from the reading curriculum's three
        // contexts: with whole documents only, the generator never learned to pick a fact out of the memory (run 4);
        // with a single fact compressed first, it did (run 5).
        foreach (var q in corpus.QuestionsIn(split))
            foreach (var context in ReadingContexts(corpus, q, random))
                file.Write(w =>
                {
                    w.WriteString("document", context);
                    w.WriteString("question", q.Question);
                    w.WriteString("target", q.Answer);
                });
        return file.Count;
    }

    private static int WriteInstruct(GeneratedCorpus corpus, Split split, string path, SeededRandom random)
    {
        int k = corpus.Options.InstructDocuments;
        using var file = new JsonLines(path);
        foreach (var q in corpus.QuestionsIn(split))
        {
            // The gold and the first k − 1 distractors in candidate order (which is random), then shuffled, so the
            // gold's slot carries no information.
            var docs = q.Candidates.Where((_, i) => i != q.Gold).Take(k - 1).Append(q.Entity).Select(e => corpus.Texts(e).Document).ToList();
            random.Shuffle(docs);
            file.Write(w =>
            {
                JsonLines.WriteStrings(w, "docs", docs);
                w.WriteString("question", q.Question);
                w.WriteString("answer", q.Answer);
            });
        }
        return file.Count;
    }

    private static int WriteE2e(GeneratedCorpus corpus, Split split, string path)
    {
        using var file = new JsonLines(path);
        foreach (var q in corpus.QuestionsIn(split))
            file.Write(w =>
            {
                w.WriteString("question", q.Question);
                JsonLines.WriteStrings(w, "docs", q.Candidates.Select(e => corpus.Texts(e).Document));
                w.WriteString("answer", q.Answer);
                w.WriteNumber("gold", q.Gold);
            });
        return file.Count;
    }

    private static int WriteDocuments(GeneratedCorpus corpus, Split split, string path)
    {
        using var file = new JsonLines(path);
        foreach (var e in corpus.EntitiesIn(split))
            file.Write(w =>
            {
                w.WriteString("id", e.Entity.Id);
                w.WriteString("text", e.Document);
            });
        return file.Count;
    }

    private static int WriteEntities(GeneratedCorpus corpus, string path)
    {
        using var file = new JsonLines(path);
        foreach (var e in corpus.Entities)
            file.Write(w =>
            {
                w.WriteString("id", e.Entity.Id);
                w.WriteString("split", e.Entity.Split.ToString().ToLowerInvariant());
                w.WriteString("kind", e.Entity.Kind.ToString().ToLowerInvariant());
                w.WriteString("name", e.Entity.Name);
                w.WriteStartObject("values");
                foreach (var (key, value) in e.Entity.Values) w.WriteString(key, value);
                w.WriteEndObject();
            });
        return file.Count;
    }
}
