namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>What a submission does when the scheduler's queue is full.</summary>
public enum QueueFullMode
{
    /// <summary>The caller waits (asynchronously) until the queue has room: back-pressure.</summary>
    Wait,
    /// <summary>The submission fails at once with <see cref="SchedulerQueueFullException"/> (a server answers 429/503).</summary>
    Reject,
}

/// <summary>How generation requests share the decoder.</summary>
public enum GenerationBatching
{
    /// <summary>
    /// One generation at a time, each decoded alone: every answer has the bits of a sequential call, whoever else is
    /// waiting. Compression and query encoding are still batched across callers (that is exact).
    /// </summary>
    Exact,
    /// <summary>
    /// Continuous batching: requests join the running decode batch at step boundaries and leave when done. Several
    /// times the throughput, but the CPU kernels are not batch-invariant (a product over 1–2 rows and one over more
    /// rows sum in different orders; a left-padded row's softmax sums over more keys), so logits differ from a lone
    /// call in the last bits and a near-tie could pick another token.
    /// </summary>
    Continuous,
}

/// <summary>Limits and batching of a <see cref="ClaraScheduler"/>.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Requests waiting to start, all kinds together; the memory a burst can take is bounded by it.</summary>
    public int QueueCapacity { get; init; } = 256;

    public QueueFullMode WhenFull { get; init; } = QueueFullMode.Wait;

    /// <summary>Documents (or questions) of all waiting callers compressed together in one forward.</summary>
    public int MaxCompressionBatch { get; init; } = 16;

    public GenerationBatching Generation { get; init; } = GenerationBatching.Exact;

    /// <summary>Sequences decoded together under <see cref="GenerationBatching.Continuous"/>.</summary>
    public int MaxDecodeBatch { get; init; } = 16;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCompressionBatch, 1, nameof(MaxCompressionBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDecodeBatch, 1, nameof(MaxDecodeBatch));
    }

    /// <summary>The rows a decode step may hold: one under <see cref="GenerationBatching.Exact"/>.</summary>
    internal int DecodeRows => Generation == GenerationBatching.Exact ? 1 : MaxDecodeBatch;
}
