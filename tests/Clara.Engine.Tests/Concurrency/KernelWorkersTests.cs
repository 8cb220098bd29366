using System.Diagnostics;
using Clara.Engine.Backends.Cpu;
using NUnit.Framework;

namespace Clara.Engine.Tests.Concurrency;

/// <summary>
/// The CPU kernels' worker team: each part of a job runs exactly once, on a worker or, when the worker has not begun
/// it by the time the caller's own part is done, on the caller; failures reach the caller; the team stays usable.
/// Jobs alternate between back-to-back (workers spinning, the caller racing them for unstarted parts) and gaps past
/// the workers' spin (workers asleep, woken by the next job).
/// </summary>
[TestFixture]
public class KernelWorkersTests
{
    [Test]
    public void EveryPartRunsExactlyOnceWhoeverRunsIt()
    {
        var random = new Random(5);
        int onCaller = 0, onWorkers = 0;
        int caller = Environment.CurrentManagedThreadId;
        for (int job = 0; job < 3000; job++)
        {
            int parts = 2 + job % 3;
            var runs = new int[parts];
            var threads = new int[parts];
            // The caller's part is empty or short, so it often reaches the workers' parts before they do.
            int spin = random.Next(4) == 0 ? 2000 : 0;
            KernelWorkers.Run(parts, part =>
            {
                Interlocked.Increment(ref runs[part]);
                threads[part] = Environment.CurrentManagedThreadId;
                if (part > 0) Thread.SpinWait(spin);
            });
            Assert.That(runs, Is.All.EqualTo(1), $"job {job}: every part once");
            for (int part = 1; part < parts; part++)
                if (threads[part] == caller) onCaller++; else onWorkers++;
            if (job % 500 == 499) Wait(TimeSpan.FromMilliseconds(1)); // past the spin: the workers sleep
        }
        Assert.That(onWorkers, Is.GreaterThan(0), "the workers ran parts");
        TestContext.Out.WriteLine($"workers' parts run by the caller: {onCaller}, by the workers: {onWorkers}");
    }

    [Test]
    public void AFailingPartReachesTheCallerAndTheTeamGoesOn([Values(0, 1)] int failingPart)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var error = Assert.Throws<InvalidOperationException>(() => KernelWorkers.Run(2, part =>
            {
                if (part == failingPart) throw new InvalidOperationException($"part {part}");
            }));
            Assert.That(error!.Message, Is.EqualTo($"part {failingPart}"));
            var runs = new int[2];
            KernelWorkers.Run(2, part => Interlocked.Increment(ref runs[part]));
            Assert.That(runs, Is.All.EqualTo(1));
        }
    }

    [Test]
    public void AFailingPartOfANestedJobReachesTheCallerAsItself()
    {
        // A job started inside a job finds the team busy and runs on Parallel.For; its failure must look the same.
        Exception? nested = null;
        KernelWorkers.Run(2, part =>
        {
            if (part != 0) return;
            nested = Assert.Throws<InvalidOperationException>(() =>
                KernelWorkers.Run(2, inner => { if (inner == 1) throw new InvalidOperationException("inner part 1"); }));
        });
        Assert.That(nested!.Message, Is.EqualTo("inner part 1"));
    }

    private static void Wait(TimeSpan time)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < time) Thread.Sleep(0);
    }
}
