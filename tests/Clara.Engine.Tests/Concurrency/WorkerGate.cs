using Clara.Engine.Pipeline;
using Clara.Engine.Pipeline.Scheduling;

namespace Clara.Engine.Tests.Concurrency;

/// <summary>
/// Holds a scheduler's worker inside a generation's token callback, so a test can queue requests while nothing runs
/// and then release them all at once: what gets batched together is then decided by the test, not by timing.
/// </summary>
internal sealed class WorkerGate : IDisposable
{
    private readonly ManualResetEventSlim _held = new();
    private readonly ManualResetEventSlim _release = new();

    /// <summary>Submits a generation that blocks the worker at its <paramref name="atToken"/>-th token, and waits until it does.</summary>
    public WorkerGate(SharedClara clara, int request = 0, int atToken = 1)
    {
        // A request that has just been answered can hold its queue slot a moment longer; with a one-slot queue the gate
        // would then be refused, so it waits for the scheduler to be empty first.
        var idle = System.Diagnostics.Stopwatch.StartNew();
        while (clara.Model.Scheduler.Pending > 0 && idle.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(10);
        int tokens = 0;
        Answer = clara.Model.AskAsync(SharedClara.Question(request), clara.Candidates, SharedClara.Options(request), SharedClara.K(request),
            onToken: (_, _) =>
            {
                if (++tokens != atToken) return;
                _held.Set();
                _release.Wait();
            });
        int signalled = WaitHandle.WaitAny([_held.WaitHandle, ((IAsyncResult)Answer).AsyncWaitHandle], TimeSpan.FromMinutes(2));
        if (signalled == WaitHandle.WaitTimeout) throw new TimeoutException("the gate request never reached its token");
        if (signalled == 1)
            throw new InvalidOperationException($"the gate request ended before its token {atToken}: {Answer.Status}", Answer.Exception?.InnerException);
    }

    public Task<ClaraAnswer> Answer { get; }

    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _held.Dispose();
    }
}
