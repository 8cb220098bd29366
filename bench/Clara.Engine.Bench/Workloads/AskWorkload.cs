using Clara.Engine.Backends;
using Clara.Engine.Bench.Models;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// End-to-end <see cref="ClaraModel.Ask"/> on a random CLaRa directory: encode the question (query reasoner), score
/// the already compressed candidates, pick the top k, generate up to <see cref="MaxNewTokens"/> greedy tokens. The
/// candidates are compressed once in the constructor; the directory lives in a temporary folder removed on dispose.
/// </summary>
public sealed class AskWorkload : IDisposable
{
    private readonly string _directory;
    private readonly ClaraModel _model;
    private readonly CompressedDocuments _documents;
    private readonly IReadOnlyList<int> _question;

    public AskWorkload(string modelName, DType weightType, IBackend backend, int candidates = 20, int maxNewTokens = 32, int seed = 1)
    {
        Candidates = candidates;
        MaxNewTokens = maxNewTokens;
        var config = RandomWeights.NamedConfig(modelName);
        var clara = BenchClaraConfig.Create(config.VocabSize);
        _directory = Path.Combine(Path.GetTempPath(), $"clara-bench-{modelName}-{weightType}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            RandomClaraDirectory.Write(_directory, config, clara, weightType, seed);
            _model = ClaraModel.Load(_directory, backend);
            _documents = _model.Compress(BenchClaraConfig.RandomTexts(clara, candidates, clara.DocMaxLength, seed: 5));
            _question = BenchClaraConfig.RandomTexts(clara, 1, 16, seed: 6)[0];
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Candidates { get; }
    public int MaxNewTokens { get; }

    /// <summary>Tokens the last answer had (greedy on random weights may stop at &lt;/s&gt; early).</summary>
    public int LastAnswerTokens { get; private set; }

    public ClaraAnswer Run()
    {
        var answer = _model.Ask(_question, _documents, new GenerationOptions { MaxNewTokens = MaxNewTokens });
        LastAnswerTokens = answer.AnswerIds.Length;
        return answer;
    }

    public void Dispose()
    {
        _model?.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
