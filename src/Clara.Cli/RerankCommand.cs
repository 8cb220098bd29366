using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Cli;

/// <summary>clara rerank (spec §9): the query vector, the cosine score of every document and the top-k.</summary>
internal sealed class RerankCommand : ICommand
{
    private readonly Option<string> _model = ModelOption.OrDefault();
    private readonly CandidateOptions _candidates = new();
    private readonly QuestionOptions _question = new();
    private readonly Option<int?> _k = Options.OptionalInt("--k", "K", "documents to select (default: clara.json top_k)", min: 1);
    private readonly Option<float?> _temperature = Options.OptionalFloat("--temperature", "T", "the top-k temperature τ", min: 0);
    private readonly Option<string> _out = Options.RequiredText("--out", "FILE.safetensors", "the output file");
    private readonly BackendOptions _backend = new();

    public Command Create()
    {
        var command = new Command("rerank", "score documents against a question; writes 'query' F32, 'scores' F32 [N] and 'topk' I64 [k] (best first)")
            .With([_model, .. _candidates.All, .. _question.All, _k, _temperature, _out, .. _backend.All]).With(Run);
        _candidates.AddRulesTo(command);
        _question.AddRulesTo(command);
        return command;
    }

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var candidates = Candidates.Read(_candidates, p);
        var output = p.GetValue(_out)!;
        int? k = p.GetValue(_k);
        float? temperature = p.GetValue(_temperature);
        var questionArgument = _question.Read(p);
        using var backend = _backend.Create(p);
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
