using System.Runtime.InteropServices;
using Clara.Engine.Graph;
using Clara.Engine.Pipeline;

namespace Clara.Engine.Training;

/// <summary>
/// The compressor's memories of documents while it is frozen (spec §6.2 and §6.3: "its output can be cached"): each
/// distinct document is compressed once, by a forward graph of its own, and its [n_mem, hidden] rows are kept for every
/// later batch that lists it. A stage whose candidates are drawn again and again from one corpus then pays for the
/// corpus once instead of twenty documents per question per step.
/// </summary>
/// <remarks>
/// The rows are the same as those the stage graph computes itself: a document's encoder row does not depend on the
/// other rows of its batch (the CPU backend's products are batch-invariant by design), so a batch's loss and gradients
/// are bit-identical with and without the cache there. Once the cache holds <see cref="CapacityBytes"/>, documents not
/// in it are compressed again whenever they come, never evicting what is kept: the result does not depend on the order
/// documents arrive in.
/// </remarks>
internal sealed class FrozenDocumentMemories : IDisposable
{
    private readonly ClaraModel _model;
    private readonly ParameterStore _store;
    private readonly GraphExecutor _executor;
    private readonly Dictionary<int[], float[]> _kept = new(TokenSequenceComparer.Instance);
    private readonly int _rowsPerDocument;
    private long _keptBytes;

    public FrozenDocumentMemories(ClaraModel model, ParameterStore store, long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        _model = model;
        _store = store;
        CapacityBytes = capacityBytes;
        _rowsPerDocument = model.Config.MemoryTokens * model.Decoder.Config.HiddenSize;
        _executor = new GraphExecutor(model.Decoder.Backend);
    }

    public long CapacityBytes { get; }

    /// <summary>Documents compressed so far (each cache miss, counted once per batch).</summary>
    public long Compressed { get; private set; }

    /// <summary>Documents answered from the cache.</summary>
    public long Reused { get; private set; }

    /// <summary>The memories of <paramref name="documents"/>, document after document: [documents·n_mem·hidden] values.</summary>
    public float[] For(IReadOnlyList<IReadOnlyList<int>> documents)
    {
        var keys = documents.Select(d => d as int[] ?? [.. d]).ToList();
        var missing = keys.Where(k => !_kept.ContainsKey(k)).Distinct(TokenSequenceComparer.Instance).ToList();
        var fresh = missing.Count == 0 ? [] : Compress(missing);
        foreach (var (key, rows) in fresh)
        {
            long bytes = (long)rows.Length * sizeof(float);
            if (_keptBytes + bytes > CapacityBytes) break;
            _kept[key] = rows;
            _keptBytes += bytes;
        }
        Compressed += missing.Count;
        Reused += keys.Count - keys.Count(fresh.ContainsKey);

        var all = new float[keys.Count * _rowsPerDocument];
        for (int i = 0; i < keys.Count; i++)
            (_kept.TryGetValue(keys[i], out var rows) ? rows : fresh[keys[i]]).CopyTo(all, i * _rowsPerDocument);
        return all;
    }

    private Dictionary<int[], float[]> Compress(IReadOnlyList<int[]> documents)
    {
        var g = new ComputeGraph();
        using var inputs = new GraphInputs(g);
        var parts = new ClaraGraphParts(g, inputs, _model.Decoder, _model.Config, _store);
        var memory = parts.EncodeMemories(documents, ClaraModel.EncoderAdapter, "frozen");
        g.MarkOutput(memory);
        var values = _executor.Run(g, inputs.Upload(_model.Decoder.Backend))[memory].ToFloatArray();
        var byDocument = new Dictionary<int[], float[]>(TokenSequenceComparer.Instance);
        for (int i = 0; i < documents.Count; i++)
            byDocument[documents[i]] = values.AsSpan(i * _rowsPerDocument, _rowsPerDocument).ToArray();
        return byDocument;
    }

    public void Dispose() => _executor.Dispose();

    private sealed class TokenSequenceComparer : IEqualityComparer<int[]>
    {
        public static readonly TokenSequenceComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] tokens)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(tokens.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
