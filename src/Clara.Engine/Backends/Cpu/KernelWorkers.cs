namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Persistent worker threads for the CPU kernels. A decode step runs a hundred short parallel kernels back to back;
/// waking a sleeping thread-pool worker for each costs 10–40 µs, as much as a small kernel. These workers spin for
/// a short while after each job (so the next one starts at once) and only then block. One job runs at a time; a
/// call that finds the team busy (another backend on another thread, or a nested call) falls back to Parallel.For.
/// The caller never waits for a part that no worker has begun: once its own part is done it takes back every posted
/// part still unclaimed and runs it itself. A worker's core is not always there when its part is posted: on the 2-vCPU
/// hosts this runs on, a kernel thread wakes on one of the two cores a few hundred times a second, and the guest's
/// scheduler then puts the caller and the worker on the same core for ~100 µs (in decoding, 1–2 products of every step
/// started that late, found with per-part timestamps and <c>sched_getcpu</c>); waiting for the worker there only added
/// a spin and a context switch to the same serial work.
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
            try
            {
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, body);
            }
            catch (AggregateException e)
            {
                // A failing part surfaces as itself, as it does when the team runs the job.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
            return;
        }
        try
        {
            while (s_workers.Count < parts - 1) s_workers.Add(new Worker(s_workers.Count + 1, s_completion));
            s_completion.Expect(parts - 1);
            for (int i = 1; i < parts; i++) s_workers[i - 1].Post(body, i);
            var failure = Invoke(body, 0);
            for (int i = 1; i < parts; i++)
            {
                if (!s_workers[i - 1].TryReclaim()) continue;
                failure ??= Invoke(body, i);
                s_completion.Signal();
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

    private static Exception? Invoke(Action<int> body, int part)
    {
        try
        {
            body(part);
            return null;
        }
        catch (Exception e)
        {
            return e;
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

    /// <summary>
    /// One worker thread and the one part it may be given. Its state says who owns the part: <see cref="Posted"/> (the
    /// caller may still take it back), <see cref="Running"/> (the worker took it), <see cref="Idle"/>. The semaphore
    /// only wakes a worker that went to sleep; the state decides what it does once awake.
    /// </summary>
    private sealed class Worker
    {
        private const int Idle = 0, Posted = 1, Running = 2;

        private readonly SemaphoreSlim _wake = new(0);
        private readonly Func<bool> _posted;
        private readonly Completion _completion;
        private Action<int>? _body;
        private int _part;
        private int _state;
        private int _sleeping;
        private Exception? _failure;

        public Worker(int index, Completion completion)
        {
            _completion = completion;
            _posted = () => Volatile.Read(ref _state) == Posted;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"clara-cpu-{index}" };
            thread.Start();
        }

        public void Post(Action<int> body, int part)
        {
            _body = body;
            _part = part;
            // The exchange is a full fence: the worker either sees Posted before it sleeps or is seen sleeping here.
            Interlocked.Exchange(ref _state, Posted);
            if (Volatile.Read(ref _sleeping) == 1) _wake.Release();
        }

        /// <summary>Takes the posted part back if the worker has not begun it; the caller then runs it.</summary>
        public bool TryReclaim() => Interlocked.CompareExchange(ref _state, Idle, Posted) == Posted;

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
                SpinUntil(_posted);
                if (Volatile.Read(ref _state) != Posted)
                {
                    Sleep();
                    continue;
                }
                if (Interlocked.CompareExchange(ref _state, Running, Posted) != Posted) continue;
                var body = _body!;
                int part = _part;
                _failure = Invoke(body, part);
                Volatile.Write(ref _state, Idle);
                _completion.Signal();
            }
        }

        /// <summary>Blocks until a part is posted (or returns at once if one was posted meanwhile).</summary>
        private void Sleep()
        {
            Interlocked.Exchange(ref _sleeping, 1);
            if (Volatile.Read(ref _state) != Posted) _wake.Wait();
            Volatile.Write(ref _sleeping, 0);
            // Wakes released for parts the caller took back before this thread saw them.
            while (_wake.CurrentCount > 0 && _wake.Wait(0)) { }
        }
    }
}
