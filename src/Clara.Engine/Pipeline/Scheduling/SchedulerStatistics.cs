namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// What a scheduler has run so far: how its requests were batched, and the worker's wall seconds in each kind of
/// forward (compression, prefill, decode step; host work around them included), for benchmarks, tests and health checks.
/// </summary>
public sealed record SchedulerStatistics(
    long CompressionForwards,
    long DocumentsCompressed,
    long Prefills,
    long PrefillForwards,
    long DecodeSteps,
    long DecodedRows,
    int LargestDecodeBatch,
    double CompressionSeconds = 0,
    double PrefillSeconds = 0,
    double DecodeSeconds = 0);

/// <summary>The worker's running counts; read from any thread.</summary>
internal sealed class SchedulerCounters
{
    private long _compressionForwards, _documents, _prefills, _prefillForwards, _decodeSteps, _decodedRows;
    private long _compressionTicks, _prefillTicks, _decodeTicks;
    private int _largestDecodeBatch;

    public void Compressed(int documents, long elapsedTicks)
    {
        Interlocked.Add(ref _compressionTicks, elapsedTicks);
        Interlocked.Increment(ref _compressionForwards);
        Interlocked.Add(ref _documents, documents);
    }

    /// <summary>One prefill forward for <paramref name="requests"/> prompts.</summary>
    public void Prefilled(int requests, long elapsedTicks)
    {
        Interlocked.Add(ref _prefillTicks, elapsedTicks);
        Interlocked.Increment(ref _prefillForwards);
        Interlocked.Add(ref _prefills, requests);
    }

    public void Decoded(int rows, long elapsedTicks)
    {
        Interlocked.Add(ref _decodeTicks, elapsedTicks);
        Interlocked.Increment(ref _decodeSteps);
        Interlocked.Add(ref _decodedRows, rows);
        if (rows > Volatile.Read(ref _largestDecodeBatch)) Volatile.Write(ref _largestDecodeBatch, rows); // only the worker writes
    }

    public SchedulerStatistics Snapshot() => new(Interlocked.Read(ref _compressionForwards), Interlocked.Read(ref _documents),
        Interlocked.Read(ref _prefills), Interlocked.Read(ref _prefillForwards), Interlocked.Read(ref _decodeSteps), Interlocked.Read(ref _decodedRows), Volatile.Read(ref _largestDecodeBatch),
        Seconds(ref _compressionTicks), Seconds(ref _prefillTicks), Seconds(ref _decodeTicks));

    private static double Seconds(ref long ticks) => (double)Interlocked.Read(ref ticks) / System.Diagnostics.Stopwatch.Frequency;
}
