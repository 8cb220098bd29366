namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>What a scheduler has run so far: how its requests were batched (for benchmarks, tests and health checks).</summary>
public sealed record SchedulerStatistics(
    long CompressionForwards,
    long DocumentsCompressed,
    long Prefills,
    long PrefillForwards,
    long DecodeSteps,
    long DecodedRows,
    int LargestDecodeBatch);

/// <summary>The worker's running counts; read from any thread.</summary>
internal sealed class SchedulerCounters
{
    private long _compressionForwards, _documents, _prefills, _prefillForwards, _decodeSteps, _decodedRows;
    private int _largestDecodeBatch;

    public void Compressed(int documents)
    {
        Interlocked.Increment(ref _compressionForwards);
        Interlocked.Add(ref _documents, documents);
    }

    /// <summary>One prefill forward for <paramref name="requests"/> prompts.</summary>
    public void Prefilled(int requests)
    {
        Interlocked.Increment(ref _prefillForwards);
        Interlocked.Add(ref _prefills, requests);
    }

    public void Decoded(int rows)
    {
        Interlocked.Increment(ref _decodeSteps);
        Interlocked.Add(ref _decodedRows, rows);
        if (rows > Volatile.Read(ref _largestDecodeBatch)) Volatile.Write(ref _largestDecodeBatch, rows); // only the worker writes
    }

    public SchedulerStatistics Snapshot() => new(Interlocked.Read(ref _compressionForwards), Interlocked.Read(ref _documents),
        Interlocked.Read(ref _prefills), Interlocked.Read(ref _prefillForwards), Interlocked.Read(ref _decodeSteps), Interlocked.Read(ref _decodedRows), Volatile.Read(ref _largestDecodeBatch));
}
