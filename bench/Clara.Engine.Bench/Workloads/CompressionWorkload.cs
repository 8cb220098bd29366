using Clara.Engine.Bench.Models;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// Spec §2 compression of one batch of full-length documents: the encoder rows exactly as <see cref="EncoderLayout"/>
/// builds them, one forward without logits, final-norm hidden states copied to the host (what the compressor reads).
/// </summary>
public sealed class CompressionWorkload(BenchModel model, int documents, int documentTokens = BenchClaraConfig.DefaultDocumentTokens)
{
    private readonly EncoderLayout _layout = new(BenchClaraConfig.Create(model.Config.VocabSize, documentTokens));
    private (int[] Ids, int[] Mask, int[] Positions)? _rows;

    public int Documents { get; } = documents;
    public int RowLength => _layout.Length;
    public int Tokens => Documents * RowLength;

    public void Run()
    {
        _rows ??= _layout.Build(BenchClaraConfig.RandomTexts(_layout.Config, Documents, _layout.Config.DocMaxLength, seed: 7));
        var (ids, mask, positions) = _rows.Value;
        using var cache = model.CreateCache(Documents, RowLength);
        model.Forward(cache, new ForwardInputs(Documents, RowLength, ids, mask, positions) { WantLogits = false });
    }
}
