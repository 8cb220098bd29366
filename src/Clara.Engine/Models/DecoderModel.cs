using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;

namespace Clara.Engine.Models;

/// <summary>
/// A decoder with its frozen base weights and any number of named LoRA adapters on one backend. The adapter is
/// chosen per call; adapters share the base weights, which are never copied.
/// </summary>
/// <remarks>
/// Safe to share between threads (on the CPU backend): concurrent <see cref="Forward"/> calls with different caches
/// give the bits each gives alone (see <see cref="DecoderRunner"/>); a <see cref="KvCache"/> belongs to one call at a
/// time.
/// </remarks>
public sealed class DecoderModel : IDisposable
{
    private readonly Dictionary<string, LoraAdapter> _adapters;
    private readonly DecoderRunner _runner;

    private DecoderModel(string source, ModelWeights weights, IEnumerable<LoraAdapter> adapters, IBackend backend, bool ownsBackend)
    {
        Source = source;
        Weights = weights;
        Backend = backend;
        OwnsBackend = ownsBackend;
        _adapters = adapters.ToDictionary(a => a.Name, StringComparer.Ordinal);
        _runner = new DecoderRunner(weights, backend);
    }

    public string Source { get; }
    public ModelWeights Weights { get; }
    public ModelConfig Config => Weights.Config;
    public IBackend Backend { get; }
    private bool OwnsBackend { get; }
    public IReadOnlyCollection<string> AdapterNames => _adapters.Keys;

    /// <summary>
    /// Opens an HF checkpoint directory (its PEFT adapters under <c>adapters/&lt;name&gt;/</c> are loaded too).
    /// Without a backend the model runs on a new CPU backend that it owns.
    /// </summary>
    public static DecoderModel Load(string directory, IBackend? backend = null) => Load(directory, backend, out _);

    /// <summary>
    /// Opens an HF checkpoint directory or an engine-native file (<c>clara convert</c>); <paramref name="claraJson"/>
    /// receives the CLaRa settings an engine file carries.
    /// </summary>
    public static DecoderModel Load(string path, IBackend? backend, out string? claraJson)
    {
        bool owns = backend is null;
        backend ??= new CpuBackend();
        claraJson = null;
        if (File.Exists(path))
        {
            if (!EngineFile.Is(path))
                throw new InvalidDataException($"{path} is a file without engine-format metadata; give an HF model directory or a file written by clara convert");
            var (w, a, c) = EngineFile.Load(path, backend);
            claraJson = c;
            return new DecoderModel(path, w, a, backend, owns);
        }
        string directory = path;
        var weights = CheckpointLoader.LoadBase(directory, backend);
        var adapters = new List<LoraAdapter>();
        try
        {
            var adapterRoot = Path.Combine(directory, "adapters");
            if (Directory.Exists(adapterRoot))
                foreach (var dir in Directory.GetDirectories(adapterRoot).Order(StringComparer.Ordinal))
                    adapters.Add(CheckpointLoader.LoadAdapter(dir, Path.GetFileName(dir), weights.Config, backend));
            return new DecoderModel(directory, weights, adapters, backend, owns);
        }
        catch
        {
            foreach (var a in adapters) a.Dispose();
            weights.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A model over weights and adapters already on <paramref name="backend"/> (random weights in benchmarks and tests);
    /// the model owns them from here on, the backend stays the caller's.
    /// </summary>
    internal static DecoderModel FromWeights(string source, ModelWeights weights, IEnumerable<LoraAdapter> adapters, IBackend backend) =>
        new(source, weights, adapters, backend, ownsBackend: false);

    /// <summary>The adapter called <paramref name="name"/>, or none for null/empty; an unknown name lists the known ones.</summary>
    public LoraAdapter? GetAdapter(string? name)
    {
        if (string.IsNullOrEmpty(name)) return null;
        if (_adapters.TryGetValue(name, out var adapter)) return adapter;
        var known = _adapters.Count == 0 ? "it has none" : "known: " + string.Join(", ", _adapters.Keys.Order());
        throw new KeyNotFoundException($"{Source} has no adapter '{name}' ({known})");
    }

    public KvCache CreateCache(int batch, int capacity)
    {
        if (capacity > Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(capacity),
                $"{capacity} positions exceed the model's context of {Config.MaxPositionEmbeddings}");
        return new KvCache(Backend, Config, batch, capacity);
    }

    public ForwardOutputs Forward(KvCache cache, ForwardInputs inputs, string? adapter = null) =>
        _runner.Forward(cache, inputs, GetAdapter(adapter));

    /// <summary>Logits [tokens, vocab] for every position of one unpadded sequence.</summary>
    public float[] ComputeLogits(IReadOnlyList<int> tokens, string? adapter = null)
    {
        if (tokens.Count == 0) throw new ArgumentException("no tokens given");
        using var cache = CreateCache(1, tokens.Count);
        var inputs = new ForwardInputs(1, tokens.Count, tokens.ToArray(), Enumerable.Repeat(1, tokens.Count).ToArray(),
            Enumerable.Range(0, tokens.Count).ToArray());
        return Forward(cache, inputs, adapter).Logits!;
    }

    public void Dispose()
    {
        _runner.Dispose();
        foreach (var a in _adapters.Values) a.Dispose();
        Weights.Dispose();
        if (OwnsBackend) Backend.Dispose();
    }
}
