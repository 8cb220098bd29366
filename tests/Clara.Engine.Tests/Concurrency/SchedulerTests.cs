using Clara.Engine.Pipeline;
using Clara.Engine.Pipeline.Scheduling;
using NUnit.Framework;

namespace Clara.Engine.Tests.Concurrency;

/// <summary>
/// <see cref="ClaraScheduler"/>: cross-caller compression batches, continuous batching of generations (joining and
/// leaving at step boundaries, cancellation), and the admission bound. Requests are queued while a
/// <see cref="WorkerGate"/> holds the worker, so every batch's composition is fixed by the test.
/// </summary>
[NonParallelizable]
public class SchedulerTests
{
    private static readonly SchedulerOptions Continuous = new() { Generation = GenerationBatching.Continuous, MaxDecodeBatch = 8 };

    [Test]
    public async Task CompressionsOfConcurrentCallersShareOneForwardAndKeepTheirBits()
    {
        using var clara = new SharedClara();
        var expected = Enumerable.Range(0, 4).Select(clara.Compress).ToArray();
        using var gate = new WorkerGate(clara);
        var before = clara.Model.Scheduler.Statistics;
        var requests = Enumerable.Range(0, 4).Select(r => Task.Run(() => clara.Compress(r))).ToArray();
        // The compressions are submitted from pool threads: wait (boundedly) until all four are queued behind the gate.
        Assert.That(SpinWait.SpinUntil(() => clara.Model.Scheduler.Pending == 5, TimeSpan.FromMinutes(2)), "four compressions queued");
        gate.Release();
        var actual = await Task.WhenAll(requests);
        await gate.Answer;
        var after = clara.Model.Scheduler.Statistics;
        Assert.That(after.CompressionForwards - before.CompressionForwards, Is.EqualTo(1), "one forward for every caller's documents");
        Assert.That(after.DocumentsCompressed - before.DocumentsCompressed, Is.EqualTo(expected.Sum(e => e.Count)));
        for (int r = 0; r < expected.Length; r++) Assert.That(Bits.Same(actual[r], expected[r]), $"request {r}");
    }

    [Test]
    public async Task ContinuousBatchingGivesTheTokensOfLoneCallsWhileRequestsJoinAndLeave()
    {
        const int Requests = 6;
        using var exact = new SharedClara();
        var expected = Enumerable.Range(0, Requests).Select(r => exact.Ask(r)).ToArray();

        using var clara = new SharedClara(Continuous);
        // Request 0 runs alone for two tokens; the others join its batch then, and leave at their own lengths.
        using var gate = new WorkerGate(clara, request: 0, atToken: 2);
        var others = Enumerable.Range(1, Requests - 1).Select(r => clara.Generate(r, expected[r].TopK)).ToArray();
        gate.Release();
        var answers = await Task.WhenAll(others.Prepend(gate.Answer.ContinueWith(t => t.Result.AnswerIds, TaskScheduler.Default)));
        for (int r = 0; r < Requests; r++) Assert.That(answers[r], Is.EqualTo(expected[r].AnswerIds), $"request {r}");
        var statistics = clara.Model.Scheduler.Statistics;
        Assert.That(statistics.LargestDecodeBatch, Is.EqualTo(Requests), "every request decoded in one batch");
        Assert.That(statistics.PrefillForwards, Is.EqualTo(2), "request 0 prefilled alone, the five that joined at one step in one forward");
        Assert.That(statistics.Prefills, Is.EqualTo(Requests));
        Assert.That(statistics.DecodedRows, Is.EqualTo(expected.Sum(e => e.AnswerIds.Length - 1L)), "one row per token after each prefill's first");
    }

    [Test]
    public async Task ARequestCancelledInTheBatchLeavesAndTheOthersFinish()
    {
        using var exact = new SharedClara();
        var expected = Enumerable.Range(0, 4).Select(r => exact.Ask(r)).ToArray();
        using var clara = new SharedClara(Continuous);
        using var cancel = new CancellationTokenSource();
        using var gate = new WorkerGate(clara);
        int tokens = 0;
        var cancelled = clara.Generate(9, [0], cancel.Token, _ => { if (++tokens == 3) cancel.Cancel(); });
        var others = Enumerable.Range(1, 3).Select(r => clara.Generate(r, expected[r].TopK)).ToArray();
        gate.Release();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        var answers = await Task.WhenAll(others.Prepend(gate.Answer.ContinueWith(t => t.Result.AnswerIds, TaskScheduler.Default)));
        for (int r = 0; r < 4; r++) Assert.That(answers[r], Is.EqualTo(expected[r].AnswerIds), $"request {r}");
        Assert.That(tokens, Is.EqualTo(3), "no token after the cancellation");
        Assert.That(clara.Model.Scheduler.Statistics.LargestDecodeBatch, Is.EqualTo(5), "all five decoded together");
    }

    [Test]
    public async Task AFullQueueRefusesWhenAskedTo()
    {
        using var clara = new SharedClara(new SchedulerOptions { QueueCapacity = 2, WhenFull = QueueFullMode.Reject });
        var documents = new[] { (IReadOnlyList<int>)clara.Model.Encode(SharedClara.Corpus[0]) };
        using var gate = new WorkerGate(clara);
        var admitted = clara.Model.CompressAsync(documents);
        Assert.That(clara.Model.Scheduler.Pending, Is.EqualTo(2));
        var refused = Assert.ThrowsAsync<SchedulerQueueFullException>(() => clara.Model.CompressAsync(documents));
        Assert.That(refused!.Message, Does.Contain("queue is full (2 requests waiting)"));
        gate.Release();
        await gate.Answer;
        Assert.That((await admitted).Count, Is.EqualTo(1));
    }

    [Test]
    public async Task AFullQueueMakesCallersWait()
    {
        using var clara = new SharedClara(new SchedulerOptions { QueueCapacity = 2 });
        var documents = new[] { (IReadOnlyList<int>)clara.Model.Encode(SharedClara.Corpus[0]) };
        var expected = clara.Model.Compress(documents);
        using var gate = new WorkerGate(clara);
        var admitted = clara.Model.CompressAsync(documents);
        var waiting = clara.Model.CompressAsync(documents);
        Assert.That(clara.Model.Scheduler.Pending, Is.EqualTo(2), "the third request is not admitted");
        Assert.That(waiting.IsCompleted, Is.False, "it waits for room while the worker is held");
        gate.Release();
        Assert.That(Bits.Same(await admitted, expected) && Bits.Same(await waiting, expected));
        await gate.Answer;
    }

    [Test]
    public void ADisposedSchedulerRefusesNewRequests()
    {
        var clara = new SharedClara();
        clara.Dispose();
        Assert.That(() => clara.Model.Compress([[5, 6, 7]]), Throws.InstanceOf<ObjectDisposedException>());
    }
}
