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
        int tokens = 0;
        Answer = clara.Model.AskAsync(SharedClara.Question(request), clara.Candidates, SharedClara.Options(request), SharedClara.K(request),
            onToken: (_, _) =>
            {
                if (++tokens != atToken) return;
                _held.Set();
                _release.Wait();
            });
        if (!_held.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException("the gate request never reached its token");
    }

    public Task<ClaraAnswer> Answer { get; }

    public void Release() => _release.Set();

    public void Dispose()
    {
        _release.Set();
        _held.Dispose();
    }
}
