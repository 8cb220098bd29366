using System.Runtime.InteropServices;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>
/// Seeded random decoder weights made directly on a backend, so benchmarks and smoke runs need no checkpoint
/// files. Linear and embedding weights are uniform with the standard deviation of HF's initializer (0.02); norm
/// weights are 1. Every value is a pure function of (seed, tensor, index), so tensors fill in parallel and the
/// same seed gives the same model on every machine and backend.
/// </summary>
public static class RandomWeights
{
    /// <summary>HF's initializer_range for Llama/Mistral.</summary>
    public const float InitStd = 0.02f;

    // Host chunk filled then uploaded at a time: large enough to amortise an upload, small enough to stay cheap.
    private const long ChunkElements = 1 << 22;

    /// <summary>The names <see cref="NamedConfig"/> knows.</summary>
    public static IReadOnlyList<string> ConfigNames { get; } = ["tiny", "small-125m", "mistral-7b"];

    /// <summary>
    /// Mistral-shaped configs by name: "mistral-7b" (the CLaRa reference base), "small-125m" (~125 M parameters,
    /// the largest that benchmarks comfortably on a laptop CPU) and "tiny" (a few M parameters, overhead-bound).
    /// </summary>
    public static ModelConfig NamedConfig(string name) => name switch
    {
        "mistral-7b" => Mistral(hidden: 4096, layers: 32, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336),
        "small-125m" => Mistral(hidden: 768, layers: 12, heads: 12, kvHeads: 4, headDim: 64, intermediate: 2048),
        "tiny" => Mistral(hidden: 256, layers: 4, heads: 8, kvHeads: 2, headDim: 32, intermediate: 704),
        _ => throw new ArgumentException($"unknown model config '{name}' (known: {string.Join(", ", ConfigNames)})", nameof(name)),
    };

    private static ModelConfig Mistral(int hidden, int layers, int heads, int kvHeads, int headDim, int intermediate) => new()
    {
        ModelType = "mistral",
        HiddenSize = hidden,
        IntermediateSize = intermediate,
        Layers = layers,
        Heads = heads,
        KvHeads = kvHeads,
        HeadDim = headDim,
        RmsNormEps = 1e-5f,
        RopeTheta = 1e6f,
        VocabSize = 32000,
        MaxPositionEmbeddings = 32768,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    /// <summary>
    /// Random base weights for <paramref name="config"/> on <paramref name="backend"/>, stored as <paramref name="dtype"/>
    /// (F32, BF16 or F16; or Q8_0, as <c>clara convert --dtype q8_0</c> stores them: the projections and lm_head are the
    /// F32 model's values quantised, the embedding F16, the norms F32).
    /// </summary>
    public static ModelWeights Create(ModelConfig config, IBackend backend, int seed, DType dtype = DType.BF16)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(backend);
        config.Validate();
        if (dtype != DType.Q8_0) RequireStorage(dtype);
        var owned = new List<IDisposable>();
        try
        {
            var stream = new TensorStream(seed);
            var floatType = dtype == DType.Q8_0 ? DType.F16 : dtype;
            var normType = dtype == DType.Q8_0 ? DType.F32 : dtype;
            var embedding = Make(backend, owned, floatType, stream.Next(), InitStd, config.VocabSize, config.HiddenSize);
            var layers = new List<LayerWeights>(config.Layers);
            for (int i = 0; i < config.Layers; i++)
            {
                var linear = new Dictionary<LinearSlot, Tensor>();
                foreach (var slot in LinearSlots.All)
                {
                    var (o, n) = slot.Dims(config);
                    linear[slot] = Make(backend, owned, dtype, stream.Next(), InitStd, o, n);
                }
                var attnNorm = Ones(backend, owned, normType, config.HiddenSize);
                var mlpNorm = Ones(backend, owned, normType, config.HiddenSize);
                layers.Add(new LayerWeights(attnNorm, mlpNorm, linear));
            }
            var norm = Ones(backend, owned, normType, config.HiddenSize);
            var lmHead = config.TieWordEmbeddings ? embedding : Make(backend, owned, dtype, stream.Next(), InitStd, config.VocabSize, config.HiddenSize);
            return new ModelWeights(config, embedding, norm, lmHead, layers, owned);
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A random LoRA adapter on every projection of every block, rank <paramref name="rank"/>, alpha = 2·rank (CLaRa's
    /// scale 2). B is random too (PEFT starts it at zero), so the update is not a no-op.
    /// </summary>
    public static LoraAdapter CreateAdapter(string name, ModelConfig config, IBackend backend, int seed, int rank = 16, DType dtype = DType.BF16)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        RequireStorage(dtype);
        var owned = new List<IDisposable>();
        try
        {
            var stream = new TensorStream(seed ^ 0x4C6F5241);
            var pairs = new Dictionary<(int, LinearSlot), (Tensor, Tensor)>();
            for (int i = 0; i < config.Layers; i++)
                foreach (var slot in LinearSlots.All)
                {
                    var (o, n) = slot.Dims(config);
                    var a = Make(backend, owned, dtype, stream.Next(), InitStd, rank, n);
                    var b = Make(backend, owned, dtype, stream.Next(), InitStd, o, rank);
                    pairs[(i, slot)] = (a, b);
                }
            var settings = new LoraSettings(rank, 2f * rank, false, LinearSlots.All.Select(s => s.TargetName()).ToArray());
            return new LoraAdapter(name, settings, pairs, owned);
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with element <c>first</c>, <c>first+1</c>, … of the random tensor
    /// <paramref name="tensorKey"/>: uniform on [−√3·std, √3·std], so its standard deviation is <paramref name="std"/>.
    /// </summary>
    public static void Fill(ulong tensorKey, long first, float std, Span<float> destination)
    {
        float scale = 2f * MathF.Sqrt(3f) * std;
        for (int i = 0; i < destination.Length; i++)
        {
            ulong bits = SplitMix64(tensorKey + (ulong)(first + i) * 0x9E3779B97F4A7C15UL);
            // 24 random bits → [0, 1) exactly representable in fp32.
            float unit = (bits >> 40) * (1f / (1 << 24));
            destination[i] = (unit - 0.5f) * scale;
        }
    }

    private static void RequireStorage(DType dtype)
    {
        if (dtype is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"random weights are stored as F32, BF16 or F16, not {dtype}", nameof(dtype));
    }

    private static Tensor Make(IBackend backend, List<IDisposable> owned, DType dtype, ulong key, float std, int rows, int columns)
    {
        if (dtype == DType.Q8_0) return MakeQuantised(backend, owned, key, std, rows, columns);
        var tensor = Tensor.Allocate(backend, new Shape(rows, columns), dtype);
        owned.Add(tensor.Buffer);
        int rowsPerChunk = (int)Math.Max(1, ChunkElements / columns);
        int chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        // Chunks are independent (values depend only on their index), so the host side fills them in parallel;
        // uploads are serialised because a backend's stream is not thread-safe.
        var gate = new object();
        Parallel.For(0, chunks, chunk =>
        {
            int row0 = chunk * rowsPerChunk, count = Math.Min(rowsPerChunk, rows - row0);
            var values = new float[(long)count * columns];
            Fill(key, (long)row0 * columns, std, values);
            var bytes = Encode(values, dtype);
            lock (gate) backend.Upload(bytes, tensor.Slice(row0, count));
        });
        return tensor;
    }

    /// <summary>The F32 random tensor quantised to Q8_0 chunk by chunk (chunks are whole rows, so whole blocks).</summary>
    private static Tensor MakeQuantised(IBackend backend, List<IDisposable> owned, ulong key, float std, int rows, int columns)
    {
        var shape = new Shape(rows, columns);
        var values = Tensor.Allocate(backend, shape, DType.I8);
        owned.Add(values.Buffer);
        var scales = Tensor.Allocate(backend, Q8Blocks.ScalesShape(shape, "random weight"), DType.F16);
        owned.Add(scales.Buffer);
        int rowsPerChunk = (int)Math.Max(1, ChunkElements / columns);
        int chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        var gate = new object();
        Parallel.For(0, chunks, chunk =>
        {
            int row0 = chunk * rowsPerChunk, count = Math.Min(rowsPerChunk, rows - row0);
            var floats = new float[(long)count * columns];
            Fill(key, (long)row0 * columns, std, floats);
            var q = new byte[floats.Length];
            var s = new byte[floats.Length / Q8Blocks.BlockSize * sizeof(ushort)];
            Q8Blocks.Quantize(floats, q, s);
            lock (gate)
            {
                backend.Upload(q, values.Slice(row0, count));
                backend.Upload(s, scales.Slice(row0, count));
            }
        });
        return Tensor.Quantized(values.Buffer, 0, shape, scales);
    }

    private static Tensor Ones(IBackend backend, List<IDisposable> owned, DType dtype, int length)
    {
        var tensor = Tensor.Allocate(backend, new Shape(length), dtype);
        owned.Add(tensor.Buffer);
        var values = new float[length];
        values.AsSpan().Fill(1f);
        backend.Upload(Encode(values, dtype), tensor);
        return tensor;
    }

    private static byte[] Encode(float[] values, DType dtype)
    {
        switch (dtype)
        {
            case DType.F32:
                return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            case DType.BF16:
            {
                var bits = new ushort[values.Length];
                for (int i = 0; i < values.Length; i++) bits[i] = FloatBits.FloatToBF16(values[i]);
                return MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
            }
            case DType.F16:
            {
                var halves = new Half[values.Length];
                for (int i = 0; i < values.Length; i++) halves[i] = (Half)values[i];
                return MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
            }
            default:
                throw new ArgumentException($"cannot store random weights as {dtype}");
        }
    }

    private static ulong SplitMix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Hands out a distinct key per tensor, in creation order.</summary>
    private sealed class TensorStream(int seed)
    {
        private ulong _next = SplitMix64((ulong)(uint)seed + 0x632BE59BD9B4E019UL);

        public ulong Next()
        {
            _next = SplitMix64(_next + 1);
            return _next;
        }
    }
}
