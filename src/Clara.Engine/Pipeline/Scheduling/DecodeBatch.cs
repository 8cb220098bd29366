using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// Continuous batching of generations: the requests that join at one step boundary are prefilled together in one
/// forward (each row laid out as a lone call's, left padding masked; a lone joiner's prefill is exactly a lone
/// call's), then join the running decode batch at the next step; finished and cancelled requests leave at the step
/// after. The batch's KV cache holds one row per request, right-aligned (left padding masked); it is rebuilt, copying
/// the rows on the device, only when the members change, so a steady batch decodes without copies.
/// </summary>
internal sealed class DecodeBatch(DecoderModel model, string adapter, int maxRows, SchedulerCounters counters) : IDisposable
{
    private readonly List<Member> _members = [];
    private KvCache? _cache;
    private bool _changed;

    /// <summary>The steps' logits, one array while the batch keeps its size (a new one per step would be a large-object allocation).</summary>
    private float[]? _logits;

    public bool IsEmpty => _members.Count == 0;
    public int Count => _members.Count;

    /// <summary>
    /// Whether <paramref name="work"/> fits beside the members and the requests already chosen to join with it: a free
    /// row, and the rebuilt cache within the model's context.
    /// </summary>
    public bool CanAdmit(GenerationWork work, IReadOnlyList<GenerationWork> joining)
    {
        if (_members.Count + joining.Count >= maxRows) return false;
        int longest = work.PromptLength, remaining = work.Options.MaxNewTokens;
        foreach (var m in _members)
        {
            longest = Math.Max(longest, m.Length);
            remaining = Math.Max(remaining, m.Work.Remaining);
        }
        foreach (var j in joining)
        {
            longest = Math.Max(longest, j.PromptLength);
            remaining = Math.Max(remaining, j.Options.MaxNewTokens);
        }
        return longest + remaining <= model.Config.MaxPositionEmbeddings;
    }

    /// <summary>Prefills <paramref name="joining"/> in one forward and takes each one's first token; they decode with the batch from the next step.</summary>
    public void Admit(IReadOnlyList<GenerationWork> joining)
    {
        if (joining.Count == 0) return;
        var prefill = BatchedPrefill.Combine(joining.Select(j => j.Prefill).ToList());
        var cache = model.CreateCache(joining.Count, prefill.Length);
        float[]? logits = null;
        try
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            logits = model.Forward(cache, prefill, adapter).Logits!;
            counters.Prefilled(joining.Count, System.Diagnostics.Stopwatch.GetTimestamp() - start);
        }
        catch (Exception e)
        {
            foreach (var work in joining) work.Fail(e);
        }
        int vocab = model.Config.VocabSize;
        bool kept = false;
        for (int b = 0; b < joining.Count; b++)
        {
            var work = joining[b];
            if (logits is not null) work.Take(logits.AsSpan(b * vocab, vocab));
            if (work.IsFinished)
            {
                work.MarkReleased();
                continue;
            }
            _members.Add(new Member(work, cache, b, prefill.Length - work.PromptLength, work.PromptLength));
            _changed = kept = true;
        }
        if (!kept) cache.Dispose();
    }

    /// <summary>One decode step for every member still running.</summary>
    public void Step()
    {
        Release(_members.Where(m => m.Work.IsFinished).ToList());
        if (_members.Count == 0) return;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_changed) Rebuild();
        int rows = _members.Count, vocab = model.Config.VocabSize;
        if (_logits?.Length != rows * vocab) _logits = new float[rows * vocab];
        var inputs = new ForwardInputs(rows, 1,
            _members.Select(m => m.Work.LastToken).ToArray(),
            Enumerable.Repeat(1, rows).ToArray(),
            _members.Select(m => m.Work.NextPosition).ToArray()) { LogitsBuffer = _logits };
        float[] logits;
        try
        {
            logits = model.Forward(_cache!, inputs, adapter).Logits!;
            counters.Decoded(rows, System.Diagnostics.Stopwatch.GetTimestamp() - start);
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

    /// <summary>Drops the leaving members; a cache (a joint prefill's or the batch's) is freed once no member still reads it.</summary>
    private void Release(List<Member> leaving)
    {
        foreach (var m in leaving)
        {
            _members.Remove(m);
            m.Work.MarkReleased();
            _changed = true;
        }
        foreach (var cache in leaving.Select(m => m.Cache).Distinct())
        {
            if (_members.Any(m => m.Cache == cache)) continue;
            cache.Dispose();
            if (cache == _cache) _cache = null;
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
        // Joint prefills and the old batch are each read by several members: freed after every copy is made.
        var previous = _members.Select(m => m.Cache).Distinct().ToList();
        for (int b = 0; b < rows; b++)
        {
            var m = _members[b];
            int offset = aligned - m.Length;
            CopyPositions(m.Cache, m.Row, m.Offset, cache, b, offset, m.Length);
            m.Cache = cache;
            m.Row = b;
            m.Offset = offset;
        }
        foreach (var old in previous) old.Dispose();
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
