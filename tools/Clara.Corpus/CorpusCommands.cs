using System.CommandLine;
using System.Text.Json;
using Clara.CommandLine;
using Clara.Corpus.Generation;
using Clara.Corpus.Model;
using Clara.Corpus.Output;

namespace Clara.Corpus;

/// <summary>The clara-corpus program: generate, make-model, scale-memory and templates.</summary>
internal static class CorpusCommandLine
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("clara-corpus: the default model's data (a seeded fictional-entity corpus) and its initial CLaRa directory")
        {
            GenerateCommand.Create(),
            MakeModelCommand.Create(),
            ScaleMemoryCommand.Create(),
            TemplatesCommand.Create(),
        };
        if (args.Length == 0)
        {
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stderr });
            return ExitCodes.Usage;
        }
        return CommandLineRunner.Run(root, "clara-corpus", args, stdout, stderr);
    }
}

/// <summary><c>clara-corpus generate</c>: the stage files of a seeded corpus and its manifest.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var output = Options.RequiredText("--out", "DIR", "the directory of the stage files");
        var seed = Options.ULong("--seed", "S", 2511, "the generator's seed");
        var train = Options.Int("--train", "N", 400, "training entities per kind");
        var validation = Options.Int("--validation", "N", 40, "validation entities per kind");
        var test = Options.Int("--test", "N", 40, "test entities per kind");
        var candidates = Options.Int("--candidates", "N", 20, "candidate documents per question");
        var k = Options.Int("--k", "K", 3, "documents per instruction-tuning example");
        var command = new Command("generate", "write the stage files (lm, scp, instruct, e2e, eval) of a seeded corpus") { output, seed, train, validation, test, candidates, k };
        command.SetAction(p =>
        {
            var options = new CorpusOptions
            {
                Seed = p.GetValue(seed),
                TrainPerKind = p.GetValue(train),
                ValidationPerKind = p.GetValue(validation),
                TestPerKind = p.GetValue(test),
                Candidates = p.GetValue(candidates),
                InstructDocuments = p.GetValue(k),
            };
            string directory = p.GetValue(output)!;
            var corpus = CorpusGenerator.Generate(options);
            var counts = StageFiles.WriteAll(corpus, directory);
            File.WriteAllText(Path.Combine(directory, "manifest.json"), JsonSerializer.Serialize(new
            {
                seed = options.Seed, train_per_kind = options.TrainPerKind, validation_per_kind = options.ValidationPerKind,
                test_per_kind = options.TestPerKind, candidates = options.Candidates, k = options.InstructDocuments, files = counts,
            }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            var stdout = p.InvocationConfiguration.Output;
            foreach (var (file, count) in counts) stdout.WriteLine($"{Path.Combine(directory, file)}: {count} lines");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary><c>clara-corpus make-model</c>: the initial (untrained) CLaRa directory the training recipe starts from.</summary>
internal static class MakeModelCommand
{
    public static Command Create()
    {
        var tokenizer = Options.RequiredText("--tokenizer", "DIR", "the directory of the tokenizer files");
        var output = Options.RequiredText("--out", "DIR", "the CLaRa directory to write");
        var hidden = Options.Int("--hidden", "H", 256, "hidden size");
        var layers = Options.Int("--layers", "L", 4, "decoder layers");
        var heads = Options.Int("--heads", "A", 8, "attention heads");
        var kvHeads = Options.Int("--kv-heads", "G", 2, "key/value heads");
        var intermediate = Options.Int("--intermediate", "I", 704, "MLP size");
        var docMaxLength = Options.Int("--doc-max-length", "D", 64, "document tokens the compressor reads");
        var compressionRate = Options.Int("--compression-rate", "R", 8, "document tokens per memory token");
        var loraRank = Options.Int("--lora-rank", "R", 16, "rank of the three adapters");
        var topK = Options.Int("--top-k", "K", 3, "clara.json top_k");
        var seed = Options.Int("--seed", "S", 2511, "the initialisation's seed");
        var command = new Command("make-model", "write the initial CLaRa directory (random base, PEFT-initialised adapters)")
        {
            tokenizer, output, hidden, layers, heads, kvHeads, intermediate, docMaxLength, compressionRate, loraRank, topK, seed,
        };
        command.SetAction(p =>
        {
            var shape = new InitialModelShape
            {
                Hidden = p.GetValue(hidden),
                Layers = p.GetValue(layers),
                Heads = p.GetValue(heads),
                KvHeads = p.GetValue(kvHeads),
                Intermediate = p.GetValue(intermediate),
                DocMaxLength = p.GetValue(docMaxLength),
                CompressionRate = p.GetValue(compressionRate),
                LoraRank = p.GetValue(loraRank),
                TopK = p.GetValue(topK),
                Seed = p.GetValue(seed),
            };
            p.InvocationConfiguration.Output.WriteLine(InitialModelWriter.Write(p.GetValue(tokenizer)!, p.GetValue(output)!, shape));
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary><c>clara-corpus scale-memory</c>: a trained base rescaled so its memory vectors are the size of its embeddings (<see cref="MemoryScale"/>).</summary>
internal static class ScaleMemoryCommand
{
    public static Command Create()
    {
        var model = Options.RequiredText("--model", "DIR", "the CLaRa directory whose base was pretrained");
        var output = Options.RequiredText("--out", "DIR", "the CLaRa directory to write (the same model, rescaled)");
        var factor = Options.OptionalFloat("--factor", "F", "multiply the final norm by F and divide lm_head by F (default: the factor that matches the mean embedding norm)", min: 0);
        var command = new Command("scale-memory", "rescale a base so its memory vectors (final-norm outputs) have its embeddings' norm; the language model is unchanged")
        {
            model, output, factor,
        };
        command.SetAction(p =>
        {
            float f = MemoryScale.Write(p.GetValue(model)!, p.GetValue(output)!, p.GetValue(factor));
            p.InvocationConfiguration.Output.WriteLine($"{p.GetValue(output)}: final norm × {f:G6}, lm_head ÷ {f:G6}");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary><c>clara-corpus templates</c>: every template as Markdown (samples/README.md holds this output).</summary>
internal static class TemplatesCommand
{
    public static Command Create()
    {
        var command = new Command("templates", "print every document and question template as Markdown");
        command.SetAction(p =>
        {
            p.InvocationConfiguration.Output.Write(TemplatesMarkdown.Render());
            return ExitCodes.Success;
        });
        return command;
    }
}
