namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// Waiting compression requests, run in batched forwards that mix documents of several callers (first come, first
/// served; one adapter per batch). A document's memory does not depend on its batch-mates: the compressor runs each
/// trimmed row length of a batch as its own forward, so a row's length is its text's alone, and the kernels treat
/// rows of one shape alike (bit-identical, tested).
/// </summary>
internal sealed class CompressionBatcher(Compressor compressor, int maxBatch, SchedulerCounters counters)
{
    private readonly List<CompressionWork> _waiting = [];

    public bool HasWork => _waiting.Count > 0;

    public void Add(CompressionWork work)
    {
        if (work.Texts.Count == 0)
        {
            work.Complete();
            work.MarkReleased();
        }
        else
        {
            _waiting.Add(work);
        }
    }

    /// <summary>Runs one forward over the next documents in line; cancelled requests are dropped first.</summary>
    public void RunOneBatch()
    {
        DropFinished();
        if (_waiting.Count == 0) return;
        string adapter = _waiting[0].Adapter;
        var parts = new List<(CompressionWork Work, int First, int Count)>();
        var texts = new List<IReadOnlyList<int>>();
        foreach (var work in _waiting)
        {
            if (texts.Count == maxBatch) break;
            if (work.Adapter != adapter) continue;
            int count = Math.Min(maxBatch - texts.Count, work.Texts.Count - work.Taken);
            parts.Add((work, work.Taken, count));
            for (int i = 0; i < count; i++) texts.Add(work.Texts[work.Taken + i]);
            work.Taken += count;
        }

        CompressedDocuments batch;
        try
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            batch = compressor.Compress(texts, adapter, batchSize: texts.Count);
            counters.Compressed(texts.Count, System.Diagnostics.Stopwatch.GetTimestamp() - start);
        }
        catch (Exception e)
        {
            foreach (var (work, _, _) in parts) work.Fail(e);
            DropFinished();
            return;
        }
        int row = 0;
        foreach (var (work, first, count) in parts)
        {
            for (int i = 0; i < count; i++) work.Store(first + i, batch, row++);
            work.Progress?.Report(first + count);
            if (work.AllTaken) work.Complete();
        }
        DropFinished();
    }

    private void DropFinished()
    {
        foreach (var work in _waiting.Where(w => w.IsFinished)) work.MarkReleased();
        _waiting.RemoveAll(w => w.IsFinished);
    }

    /// <summary>Fails every waiting request (the scheduler is shutting down).</summary>
    public void FailAll(Exception error)
    {
        foreach (var work in _waiting)
        {
            work.Fail(error);
            work.MarkReleased();
        }
        _waiting.Clear();
    }
}
