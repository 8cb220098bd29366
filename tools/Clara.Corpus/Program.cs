using System.Text.Json;
using Clara.Corpus;
using Clara.Corpus.Generation;
using Clara.Corpus.Model;
using Clara.Corpus.Output;

const string Usage = """
usage: clara-corpus generate --out DIR [--seed S] [--train N] [--validation N] [--test N] [--candidates N] [--k K]
       clara-corpus make-model --tokenizer DIR --out DIR [--hidden H] [--layers L] [--heads A] [--kv-heads G]
                               [--intermediate I] [--doc-max-length D] [--compression-rate R] [--lora-rank R] [--top-k K] [--seed S]
       clara-corpus templates
""";

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.Write(Usage);
    return args.Length == 0 ? 2 : 0;
}
try
{
    var a = new ToolArguments(args[1..]);
    switch (args[0])
    {
        case "generate":
        {
            var options = new CorpusOptions
            {
                Seed = a.Seed("seed", 2511),
                TrainPerKind = a.Int("train", 400),
                ValidationPerKind = a.Int("validation", 40),
                TestPerKind = a.Int("test", 40),
                Candidates = a.Int("candidates", 20),
                InstructDocuments = a.Int("k", 3),
            };
            var output = a.Required("out");
            a.RejectUnknown();
            var corpus = CorpusGenerator.Generate(options);
            var counts = StageFiles.WriteAll(corpus, output);
            File.WriteAllText(Path.Combine(output, "manifest.json"), JsonSerializer.Serialize(new
            {
                seed = options.Seed, train_per_kind = options.TrainPerKind, validation_per_kind = options.ValidationPerKind,
                test_per_kind = options.TestPerKind, candidates = options.Candidates, k = options.InstructDocuments, files = counts,
            }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            foreach (var (file, count) in counts) Console.WriteLine($"{Path.Combine(output, file)}: {count} lines");
            return 0;
        }
        case "make-model":
        {
            var shape = new InitialModelShape
            {
                Hidden = a.Int("hidden", 256),
                Layers = a.Int("layers", 4),
                Heads = a.Int("heads", 8),
                KvHeads = a.Int("kv-heads", 2),
                Intermediate = a.Int("intermediate", 704),
                DocMaxLength = a.Int("doc-max-length", 64),
                CompressionRate = a.Int("compression-rate", 8),
                LoraRank = a.Int("lora-rank", 16),
                TopK = a.Int("top-k", 3),
                Seed = a.Int("seed", 2511),
            };
            var tokenizer = a.Required("tokenizer");
            var output = a.Required("out");
            a.RejectUnknown();
            var summary = InitialModelWriter.Write(tokenizer, output, shape);
            Console.WriteLine(summary);
            return 0;
        }
        case "templates":
            a.RejectUnknown();
            Console.Write(TemplatesMarkdown.Render());
            return 0;
        default:
            Console.Error.Write($"clara-corpus: unknown verb '{args[0]}'\n{Usage}");
            return 2;
    }
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException)
{
    Console.Error.WriteLine($"clara-corpus {args[0]}: {e.Message}");
    return 1;
}
