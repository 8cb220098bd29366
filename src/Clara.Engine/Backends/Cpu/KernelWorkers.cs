namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Persistent worker threads for the CPU kernels. A decode step runs a hundred short parallel kernels back to back;
/// waking a sleeping thread-pool worker for each costs 10–40 µs, as much as a small kernel. These workers spin for
/// a short while after each job (so the next one starts at once) and only then block. One job runs at a time; a
/// call that finds the team busy (another backend on another thread, or a nested call) falls back to Parallel.For.
/// </summary>
internal static class KernelWorkers
{
    private static readonly object s_gate = new();
    private static readonly List<Worker> s_workers = [];
    private static readonly Completion s_completion = new();

    /// <summary>Runs <paramref name="body"/>(0 … parts−1): part 0 on the calling thread, the others on workers.</summary>
    public static void Run(int parts, Action<int> body)
    {
        if (parts <= 1)
        {
            if (parts == 1) body(0);
            return;
        }
        // Busy with another caller's job, or called from inside one of our own jobs (the lock is re-entrant).
        if (Monitor.IsEntered(s_gate) || !Monitor.TryEnter(s_gate))
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, body);
            return;
        }
        try
        {
            while (s_workers.Count < parts - 1) s_workers.Add(new Worker(s_workers.Count + 1, s_completion));
            s_completion.Expect(parts - 1);
            for (int i = 1; i < parts; i++) s_workers[i - 1].Start(body, i);
            Exception? failure = null;
            try
            {
                body(0);
            }
            catch (Exception e)
            {
                failure = e;
            }
            s_completion.Wait();
            for (int i = 1; i < parts; i++) failure ??= s_workers[i - 1].TakeFailure();
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>How long a worker (or the caller, waiting for the workers) spins before it blocks: 200 µs.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;

    /// <summary>
    /// After 20 µs of spinning, each round offers the core to another runnable thread first. On an idle core that costs
    /// one system call; on a busy one (more runnable threads than cores: two engine processes, or a service beside
    /// other work) the thread being waited for may be the one queued behind the spinner.
    /// </summary>
    private static readonly long PauseOnlyTicks = System.Diagnostics.Stopwatch.Frequency / 50_000;

    private static void SpinUntil(Func<bool> condition)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!condition())
        {
            long elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - start;
            if (elapsed >= SpinTicks) return;
            if (elapsed < PauseOnlyTicks) Thread.SpinWait(16);
            else Thread.Yield();
        }
    }

    /// <summary>Counts the workers still busy with the current job; never disposed, so a late signal is always safe.</summary>
    private sealed class Completion
    {
        private readonly ManualResetEventSlim _done = new(false);
        private readonly Func<bool> _allSignalled;
        private int _pending;

        public Completion() => _allSignalled = () => Volatile.Read(ref _pending) == 0;

        public void Expect(int workers)
        {
            _done.Reset();
            Volatile.Write(ref _pending, workers);
        }

        public void Signal()
        {
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }

        public void Wait()
        {
            SpinUntil(_allSignalled);
            _done.Wait();
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private readonly Func<bool> _woken;
        private readonly Completion _completion;
        private volatile Action<int>? _body;
        private int _part;
        private Exception? _failure;

        public Worker(int index, Completion completion)
        {
            _completion = completion;
            _woken = () => _wake.CurrentCount > 0;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"clara-cpu-{index}" };
            thread.Start();
        }

        public void Start(Action<int> body, int part)
        {
            _part = part;
            _body = body;
            _wake.Release();
        }

        public Exception? TakeFailure()
        {
            var failure = _failure;
            _failure = null;
            return failure;
        }

        private void Loop()
        {
            while (true)
            {
                // Spin briefly for the next job, then sleep on the semaphore.
                SpinUntil(_woken);
                _wake.Wait();
                var body = _body!;
                _body = null;
                try
                {
                    body(_part);
                }
                catch (Exception e)
                {
                    _failure = e;
                }
                _completion.Signal();
            }
        }
    }
}
