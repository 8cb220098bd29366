namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// One submitted request. Its task completes exactly once: with the result, the failure, or cancelled as soon as its
/// token fires (the worker then drops it at the next step boundary).
/// </summary>
internal abstract class SchedulerWork<T> : IDisposable
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _registration;

    protected SchedulerWork(CancellationToken cancellation)
    {
        Cancellation = cancellation;
        _registration = cancellation.Register(() => _completion.TrySetCanceled(cancellation));
    }

    public CancellationToken Cancellation { get; }
    public Task<T> Task => _completion.Task;

    /// <summary>Cancelled, failed or already answered: nothing more should be computed for it.</summary>
    public bool IsFinished => _completion.Task.IsCompleted;

    public void Succeed(T result) => _completion.TrySetResult(result);
    public void Fail(Exception error) => _completion.TrySetException(error);

    /// <summary>Called once when the worker lets go of the request (the scheduler's admission slot is freed then).</summary>
    public Action? Released { get; set; }

    private int _released;

    /// <summary>The worker holds nothing of this request any more.</summary>
    public void MarkReleased()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Released?.Invoke();
    }

    public void Dispose() => _registration.Dispose();
}
