using Clara.Engine.Bench.Models;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// KV-cached greedy decoding of <see cref="Batch"/> sequences: <see cref="Prepare"/> prefills a random prompt (not
/// timed), <see cref="Run"/> then generates <see cref="Steps"/> tokens per sequence, each step one forward with
/// logits for every sequence and a host-side argmax, as generation does.
/// </summary>
public sealed class DecodeWorkload(BenchModel model, int batch, int promptLength, int steps) : IDisposable
{
    private KvCache? _cache;
    private int[] _next = [];

    public int Batch { get; } = batch;
    public int PromptLength { get; } = promptLength;
    public int Steps { get; } = steps;
    public int Tokens => Batch * Steps;

    /// <summary>Every sequence's greedy tokens in the last <see cref="Run"/>: the prompt's argmax, then each step's (Steps + 1).</summary>
    public IReadOnlyList<IReadOnlyList<int>> Generated => _generated;

    private List<int>[] _generated = [];

    /// <summary>The seeded random prompt tokens (every sequence's, one after another); a peer gets the same ones.</summary>
    public static int[] PromptIds(int vocab, int count)
    {
        var random = new Random(11);
        return Enumerable.Range(0, count).Select(_ => random.Next(3, vocab)).ToArray();
    }

    public void Prepare()
    {
        _cache?.Dispose();
        _cache = model.CreateCache(Batch, PromptLength + Steps);
        int vocab = model.Config.VocabSize;
        var ids = PromptIds(vocab, Batch * PromptLength);
        var positions = Enumerable.Range(0, Batch * PromptLength).Select(i => i % PromptLength).ToArray();
        var logits = model.Forward(_cache, new ForwardInputs(Batch, PromptLength, ids, Ones(Batch * PromptLength), positions)
        {
            LogitRows = Enumerable.Range(0, Batch).Select(b => b * PromptLength + PromptLength - 1).ToArray(),
        }).Logits!;
        _next = ArgMaxRows(logits, vocab);
    }

    /// <summary>Bytes of the KV cache <see cref="Prepare"/> allocates (keys, values and the key mask).</summary>
    public long CacheBytes => _cache is null ? 0 : _cache.Keys.Sum(t => t.ByteLength) + _cache.Values.Sum(t => t.ByteLength) + _cache.KeyMask.ByteLength;

    public void Run()
    {
        var cache = _cache ?? throw new InvalidOperationException("call Prepare before Run");
        if (cache.Length != PromptLength) throw new InvalidOperationException("each Run needs a fresh Prepare");
        int vocab = model.Config.VocabSize;
        var attend = Ones(Batch);
        var logitsBuffer = new float[Batch * vocab];
        _generated = _next.Select(first => new List<int>(Steps + 1) { first }).ToArray();
        for (int step = 0; step < Steps; step++)
        {
            var positions = Enumerable.Repeat(PromptLength + step, Batch).ToArray();
            var logits = model.Forward(cache, new ForwardInputs(Batch, 1, _next, attend, positions) { LogitsBuffer = logitsBuffer }).Logits!;
            _next = ArgMaxRows(logits, vocab);
            for (int b = 0; b < Batch; b++) _generated[b].Add(_next[b]);
        }
    }

    public void Dispose() => _cache?.Dispose();

    private static int[] Ones(int count) => Enumerable.Repeat(1, count).ToArray();

    private static int[] ArgMaxRows(float[] logits, int vocab)
    {
        var ids = new int[logits.Length / vocab];
        for (int r = 0; r < ids.Length; r++) ids[r] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(r * vocab, vocab));
        return ids;
    }
}
