using Clara.Engine.Backends;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Models;

/// <summary>
/// A random-weight decoder on one backend, ready to run forwards: base weights, one LoRA adapter (CLaRa always runs
/// with one: the compressor's or the generator's), and the runner.
/// </summary>
public sealed class BenchModel : IDisposable
{
    private BenchModel(string name, ModelWeights weights, LoraAdapter? adapter, IBackend backend)
    {
        Name = name;
        Weights = weights;
        Adapter = adapter;
        Backend = backend;
        Runner = new DecoderRunner(weights, backend);
    }

    public string Name { get; }
    public ModelWeights Weights { get; }
    public ModelConfig Config => Weights.Config;
    public LoraAdapter? Adapter { get; }
    public IBackend Backend { get; }
    public DecoderRunner Runner { get; }

    /// <summary>Bytes of base weights one decode step streams: every block's projections and lm_head (one embedding row is negligible).</summary>
    public long DecodeWeightBytes
    {
        get
        {
            long bytes = StoredBytes(Weights.LmHead);
            foreach (var layer in Weights.Layers)
                foreach (var slot in LinearSlots.All) bytes += StoredBytes(layer[slot]);
            return bytes;
        }
    }

    /// <summary>A weight's bytes, with its Q8_0 block scales.</summary>
    private static long StoredBytes(Tensor t) => t.ByteLength + (t.BlockScales?.ByteLength ?? 0);

    public static BenchModel Create(string name, DType weightType, int loraRank, IBackend backend, int seed = 1)
    {
        var config = RandomWeights.NamedConfig(name);
        var weights = RandomWeights.Create(config, backend, seed, weightType);
        try
        {
            // LoRA factors are never quantised (clara convert --dtype q8_0 keeps their float type).
            var adapterType = weightType == DType.Q8_0 ? DType.F16 : weightType;
            var adapter = loraRank > 0 ? RandomWeights.CreateAdapter("bench_adapter", config, backend, seed, loraRank, adapterType) : null;
            return new BenchModel(name, weights, adapter, backend);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The base weights of a model directory (written by the bench's <c>weights</c> mode), memory-mapped as a user's
    /// process loads them; <paramref name="name"/> and <paramref name="weightType"/> must describe what it holds.
    /// A LoRA adapter, if asked for, is random as in <see cref="Create"/>.
    /// </summary>
    public static BenchModel Load(string name, string directory, DType weightType, int loraRank, IBackend backend, int seed = 1)
    {
        var expected = RandomWeights.NamedConfig(name);
        var weights = CheckpointLoader.LoadBase(directory, backend);
        try
        {
            var c = weights.Config;
            if (c.HiddenSize != expected.HiddenSize || c.Layers != expected.Layers || c.IntermediateSize != expected.IntermediateSize
                || c.Heads != expected.Heads || c.KvHeads != expected.KvHeads || c.VocabSize != expected.VocabSize)
                throw new InvalidDataException($"{directory} does not hold the {name} shapes (hidden {c.HiddenSize}, {c.Layers} layers)");
            if (weights.LmHead.DType != weightType)
                throw new InvalidDataException($"{directory} holds {weights.LmHead.DType} weights, not {weightType}");
            var adapter = loraRank > 0 ? RandomWeights.CreateAdapter("bench_adapter", c, backend, seed, loraRank, weightType) : null;
            return new BenchModel(name, weights, adapter, backend);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public KvCache CreateCache(int batch, int capacity) => new(Backend, Config, batch, capacity);

    public ForwardOutputs Forward(KvCache cache, ForwardInputs inputs) => Runner.Forward(cache, inputs, Adapter);

    public void Dispose()
    {
        Runner.Dispose();
        Adapter?.Dispose();
        Weights.Dispose();
    }
}
