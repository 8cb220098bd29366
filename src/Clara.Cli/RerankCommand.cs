using Clara.Engine.IO.Safetensors;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Cli;

/// <summary>clara rerank (spec §9): the query vector, the cosine score of every document and the top-k.</summary>
internal sealed class RerankCommand : ICommand
{
    public string Name => "rerank";
    public string Usage => "rerank --model DIR (--docs FILE.jsonl | --store PATH|postgres://…) (--question TEXT | --question-ids 1,2,3) [--k K] [--temperature T] --out FILE.safetensors [--device ..] [--threads N]";
    public string Summary => "score documents against a question; writes 'query' F32, 'scores' F32 [N] and 'topk' I64 [k] (best first)";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string>());
        var modelPath = a.Required("model");
        var candidates = Candidates.Read(a);
        var output = a.Required("out");
        int? k = a.OptionalInt("k");
        float? temperature = a.OptionalFloat("temperature");
        if (temperature is < 0) throw new UsageException($"--temperature must be ≥ 0, got {temperature}");
        if (k is <= 0) throw new UsageException($"--k must be positive, got {k}");
        var questionArgument = QuestionArgument.Read(a);
        using var backend = a.Backend();
        a.RejectUnknown();
        OutputFile.Prepare(output, stderr);

        candidates.Prepare();
        using var model = ClaraModel.Load(modelPath, backend);
        var question = ClaraInputs.Question(model, questionArgument);

        var (ids, documents) = candidates.Load(model);
        var query = model.EncodeQuery(question);
        var scores = model.Score(query, documents);
        var topk = model.SelectTopK(scores, k, temperature);
        SafetensorsWriter.Write(output,
        [
            TensorToWrite.FromFloat32("query", new Shape(query.Length), query),
            TensorToWrite.FromFloat32("scores", new Shape(scores.Length), scores),
            TensorToWrite.FromInt64("topk", new Shape(topk.Length), topk.Select(i => (long)i).ToArray()),
        ], new Dictionary<string, string> { ["ids"] = System.Text.Json.JsonSerializer.Serialize(ids.ToArray(), CliJson.Default.StringArray) });
        stdout.WriteLine($"top-{topk.Length}: {string.Join(", ", topk.Select(i => $"{ids[i]} ({scores[i]:F4})"))}; wrote {output}");
        return 0;
    }
}
