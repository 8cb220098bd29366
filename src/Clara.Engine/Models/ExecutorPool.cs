using System.Collections.Concurrent;
using Clara.Engine.Backends;
using Clara.Engine.Graph;

namespace Clara.Engine.Models;

/// <summary>
/// Graph executors lent to one forward at a time. An executor's arena is freed and regrown between runs, so two
/// forwards must never hold the same one; the pool grows to the number of forwards that ever ran at once and each
/// idle executor keeps its arena, so steady-state decoding still allocates nothing.
/// </summary>
internal sealed class ExecutorPool(IBackend backend) : IDisposable
{
    private readonly ConcurrentBag<GraphExecutor> _idle = [];
    private readonly ConcurrentBag<GraphExecutor> _all = [];
    private int _disposed;

    public Lease Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_idle.TryTake(out var executor))
        {
            executor = new GraphExecutor(backend);
            _all.Add(executor);
        }
        return new Lease(this, executor);
    }

    /// <summary>Frees every arena; forwards still running on this pool must have finished (the owner's Dispose contract).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var executor in _all) executor.Dispose();
    }

    private void Return(GraphExecutor executor)
    {
        if (Volatile.Read(ref _disposed) == 0) _idle.Add(executor);
    }

    /// <summary>One forward's exclusive use of an executor; disposing gives it back.</summary>
    public readonly struct Lease(ExecutorPool pool, GraphExecutor executor) : IDisposable
    {
        public GraphExecutor Executor { get; } = executor;

        public void Dispose() => pool.Return(Executor);
    }
}
