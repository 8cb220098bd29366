namespace Clara.Engine.Models;

/// <summary>The frozen base weights of one decoder block.</summary>
public sealed class LayerWeights(Tensor attnNorm, Tensor mlpNorm, IReadOnlyDictionary<LinearSlot, Tensor> linear)
{
    public Tensor AttnNorm { get; } = attnNorm;
    public Tensor MlpNorm { get; } = mlpNorm;
    public Tensor this[LinearSlot slot] => linear[slot];
}

/// <summary>All base weights of a decoder, resident on one backend. Owns the memory it was loaded into.</summary>
public sealed class ModelWeights(
    ModelConfig config, Tensor embedding, Tensor norm, Tensor lmHead, IReadOnlyList<LayerWeights> layers, IReadOnlyList<IDisposable> owned)
    : IDisposable
{
    public ModelConfig Config { get; } = config;
    public Tensor Embedding { get; } = embedding;
    public Tensor Norm { get; } = norm;

    /// <summary>The output projection; the embedding itself when the config ties them.</summary>
    public Tensor LmHead { get; } = lmHead;
    public IReadOnlyList<LayerWeights> Layers { get; } = layers;

    public void Dispose()
    {
        foreach (var o in owned) o.Dispose();
    }
}

/// <summary>One LoRA adapter over the base: per block and projection, A [r, in] and B [out, r], and the scale.</summary>
public sealed class LoraAdapter(string name, LoraSettings settings, IReadOnlyDictionary<(int Layer, LinearSlot Slot), (Tensor A, Tensor B)> pairs, IReadOnlyList<IDisposable> owned)
    : IDisposable
{
    private readonly Dictionary<(int Layer, LinearSlot Slot), (Tensor A, Tensor B)> _pairs = new(pairs);
    private readonly List<IDisposable> _owned = [.. owned];

    public string Name { get; } = name;
    public LoraSettings Settings { get; } = settings;
    public float Scale => Settings.Scale;
    public int PairCount => _pairs.Count;

    public bool TryGet(int layer, LinearSlot slot, out Tensor a, out Tensor b)
    {
        if (_pairs.TryGetValue((layer, slot), out var p)) { (a, b) = p; return true; }
        a = b = null!;
        return false;
    }

    /// <summary>
    /// Points an existing pair at new tensors (trained values; loaded CPU weights are read-only file mappings, so
    /// training never writes into them). The adapter takes ownership of the new tensors' buffers.
    /// </summary>
    internal void Replace(int layer, LinearSlot slot, Tensor a, Tensor b)
    {
        if (!_pairs.TryGetValue((layer, slot), out var old)) throw new KeyNotFoundException($"adapter {Name} has no LoRA pair at layer {layer} {slot}");
        if (!old.A.Shape.Equals(a.Shape) || !old.B.Shape.Equals(b.Shape))
            throw new ArgumentException($"adapter {Name} layer {layer} {slot}: new A {a.Shape} / B {b.Shape} differ from {old.A.Shape} / {old.B.Shape}");
        _pairs[(layer, slot)] = (a, b);
        _owned.Add(a.Buffer);
        _owned.Add(b.Buffer);
    }

    public void Dispose()
    {
        foreach (var o in _owned) o.Dispose();
    }
}

/// <summary>What a PEFT adapter_config.json says about the update y += scale · B(Ax).</summary>
public sealed record LoraSettings(int Rank, float Alpha, bool UseRsLora, IReadOnlyList<string> TargetModules)
{
    public float Scale => UseRsLora ? Alpha / MathF.Sqrt(Rank) : Alpha / Rank;

    public static LoraSettings From(PeftConfigValues v) => new(v.Rank, (float)v.Alpha, v.UseRsLora, v.TargetModules ?? []);

    /// <summary>
    /// As adapter_config.json states it (every layer adapted). No target list is "all-linear" (what <see cref="From"/>
    /// reads it as): an empty list would tell PEFT, and the loader, to apply none of the factors.
    /// </summary>
    public PeftConfigValues ToPeftValues() => new(Rank, Alpha, UseRsLora, TargetModules.Count > 0 ? TargetModules : null, null);
}
