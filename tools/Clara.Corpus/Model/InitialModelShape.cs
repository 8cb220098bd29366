namespace Clara.Corpus.Model;

/// <summary>
/// The shape of the default model before training. The defaults fit the whole training recipe into about 90
/// minutes on two CPU cores (docs/default-model.md has the measurement behind them) and keep the F32 directory
/// under the 25 MB the samples folder allows.
/// </summary>
public sealed record InitialModelShape
{
    public int Hidden { get; init; } = 256;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 8;
    public int KvHeads { get; init; } = 2;
    public int Intermediate { get; init; } = 704;
    public int DocMaxLength { get; init; } = 64;
    public int CompressionRate { get; init; } = 8;
    public int LoraRank { get; init; } = 16;
    public int TopK { get; init; } = 3;
    public int Seed { get; init; } = 2511;

    /// <summary>The reference's top-k temperature τ (spec §4).</summary>
    public float Temperature { get; init; } = 0.02f;

    public int HeadDim => Hidden / Heads;
    public int MemoryTokens => DocMaxLength / CompressionRate;

    public void Validate()
    {
        void Require(bool ok, string message) { if (!ok) throw new Clara.Engine.InvalidInputException(message); }
        Require(Hidden > 0 && Layers > 0 && Heads > 0 && KvHeads > 0 && Intermediate > 0 && LoraRank > 0 && TopK > 0,
            "every size must be positive");
        Require(Hidden % Heads == 0, $"--hidden {Hidden} must be a multiple of --heads {Heads}");
        Require(HeadDim % 2 == 0, $"head dim {HeadDim} (hidden / heads) must be even for RoPE");
        Require(Heads % KvHeads == 0, $"--heads {Heads} must be a multiple of --kv-heads {KvHeads}");
        Require(CompressionRate > 0 && DocMaxLength % CompressionRate == 0,
            $"--doc-max-length {DocMaxLength} must be a multiple of --compression-rate {CompressionRate}");
    }
}
