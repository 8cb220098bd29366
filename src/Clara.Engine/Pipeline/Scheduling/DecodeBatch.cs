using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// Continuous batching of generations: each request is prefilled alone into its own cache (exactly as a lone call),
/// then joins the running decode batch at the next step; finished and cancelled requests leave at the step after.
/// The batch's KV cache holds one row per request, right-aligned (left padding masked); it is rebuilt, copying the
/// rows on the device, only when the members change, so a steady batch decodes without copies.
/// </summary>
internal sealed class DecodeBatch(DecoderModel model, string adapter, int maxRows, SchedulerCounters counters) : IDisposable
{
    private readonly List<Member> _members = [];
    private KvCache? _cache;
    private bool _changed;

    public bool IsEmpty => _members.Count == 0;
    public int Count => _members.Count;

    /// <summary>Whether another request fits: a free row, and the rebuilt cache within the model's context.</summary>
    public bool CanAdmit(GenerationWork work)
    {
        if (_members.Count >= maxRows) return false;
        int longest = Math.Max(work.PromptLength, _members.Count == 0 ? 0 : _members.Max(m => m.Length));
        int remaining = Math.Max(work.Options.MaxNewTokens, _members.Count == 0 ? 0 : _members.Max(m => m.Work.Remaining));
        return longest + remaining <= model.Config.MaxPositionEmbeddings;
    }

    /// <summary>Prefills <paramref name="work"/> alone and takes its first token; it decodes with the batch from the next step.</summary>
    public void Admit(GenerationWork work)
    {
        var cache = model.CreateCache(1, work.PromptLength);
        try
        {
            var logits = model.Forward(cache, work.Prefill, adapter).Logits!;
            counters.Prefilled();
            work.Take(logits);
        }
        catch (Exception e)
        {
            work.Fail(e);
        }
        if (work.IsFinished)
        {
            cache.Dispose();
            work.MarkReleased();
            return;
        }
        _members.Add(new Member(work, cache, 0, 0, work.PromptLength));
        _changed = true;
    }

    /// <summary>One decode step for every member still running.</summary>
    public void Step()
    {
        Release(_members.Where(m => m.Work.IsFinished).ToList());
        if (_members.Count == 0) return;
        if (_changed) Rebuild();
        int rows = _members.Count, vocab = model.Config.VocabSize;
        var inputs = new ForwardInputs(rows, 1,
            _members.Select(m => m.Work.LastToken).ToArray(),
            Enumerable.Repeat(1, rows).ToArray(),
            _members.Select(m => m.Work.NextPosition).ToArray());
        float[] logits;
        try
        {
            logits = model.Forward(_cache!, inputs, adapter).Logits!;
            counters.Decoded(rows);
        }
        catch (Exception e)
        {
            foreach (var m in _members) m.Work.Fail(e);
            Release([.. _members]);
            return;
        }
        for (int b = 0; b < rows; b++)
        {
            _members[b].Length++;
            _members[b].Work.Take(logits.AsSpan(b * vocab, vocab));
        }
    }

    /// <summary>Fails every member (the scheduler is shutting down).</summary>
    public void FailAll(Exception error)
    {
        foreach (var m in _members) m.Work.Fail(error);
        Release([.. _members]);
    }

    public void Dispose() => Release([.. _members]);

    private void Release(List<Member> leaving)
    {
        foreach (var m in leaving)
        {
            _members.Remove(m);
            if (m.Cache != _cache) m.Cache.Dispose();
            m.Work.MarkReleased();
            _changed = true;
        }
        if (_members.Count == 0)
        {
            _cache?.Dispose();
            _cache = null;
        }
    }

    /// <summary>
    /// A new batch cache for the current members: row b holds member b's positions right-aligned at the longest
    /// member's length, the rest masked; room for the most tokens any member may still add.
    /// </summary>
    private void Rebuild()
    {
        int rows = _members.Count;
        int aligned = _members.Max(m => m.Length);
        int capacity = aligned + _members.Max(m => m.Work.Remaining);
        var cache = model.CreateCache(rows, capacity);
        var attend = new int[rows * aligned];
        for (int b = 0; b < rows; b++)
            attend.AsSpan(b * aligned + aligned - _members[b].Length, _members[b].Length).Fill(1);
        cache.Reserve(aligned, attend);
        for (int b = 0; b < rows; b++)
        {
            var m = _members[b];
            int offset = aligned - m.Length;
            CopyPositions(m.Cache, m.Row, m.Offset, cache, b, offset, m.Length);
            if (m.Cache != _cache) m.Cache.Dispose();
            m.Cache = cache;
            m.Row = b;
            m.Offset = offset;
        }
        _cache?.Dispose();
        _cache = cache;
        _changed = false;
    }

    /// <summary>Copies <paramref name="count"/> cached positions of one sequence between caches, for every layer, on the device.</summary>
    private void CopyPositions(KvCache from, int fromRow, int fromStart, KvCache to, int toRow, int toStart, int count)
    {
        var backend = model.Backend;
        int width = model.Config.KvWidth;
        var rows = Tensor.FromInts(backend, Enumerable.Range(fromRow * from.Capacity + fromStart, count).ToArray(), count);
        try
        {
            for (int layer = 0; layer < model.Config.Layers; layer++)
            {
                Copy(from.Keys[layer], to.Keys[layer]);
                Copy(from.Values[layer], to.Values[layer]);
            }
        }
        finally
        {
            rows.Buffer.Dispose();
        }

        void Copy(Tensor source, Tensor target) => backend.Kernels.GatherRows(
            source.Reshape(from.Batch * from.Capacity, width), rows,
            target.Reshape(to.Batch * to.Capacity, width).Slice(toRow * to.Capacity + toStart, count));
    }

    /// <summary>A running request and where its cached positions are: <see cref="Length"/> of them from <see cref="Offset"/> in row <see cref="Row"/>.</summary>
    private sealed class Member(GenerationWork work, KvCache cache, int row, int offset, int length)
    {
        public GenerationWork Work { get; } = work;
        public KvCache Cache { get; set; } = cache;
        public int Row { get; set; } = row;
        public int Offset { get; set; } = offset;
        public int Length { get; set; } = length;
    }
}
