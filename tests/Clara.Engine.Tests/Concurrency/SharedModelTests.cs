using Clara.Engine.Pipeline;
using NUnit.Framework;

namespace Clara.Engine.Tests.Concurrency;

/// <summary>
/// One <see cref="ClaraModel"/> (and its <see cref="Models.DecoderModel"/>) used by many threads at once gives, for every
/// request, the bits the same request gives when the calls run one after another. The thread and request counts are
/// fixed, every thread starts at a barrier so the calls overlap, and nothing is asserted about timing.
/// </summary>
[NonParallelizable]
public class SharedModelTests
{
    private const int Threads = 4;
    private const int RequestsPerThread = 6;

    private SharedClara _clara = null!;

    [OneTimeSetUp]
    public void Load() => _clara = new SharedClara();

    [OneTimeTearDown]
    public void Unload() => _clara.Dispose();

    [Test]
    public void ConcurrentAsksMatchSequentialAsks()
    {
        int count = Threads * RequestsPerThread;
        var expected = Enumerable.Range(0, count).Select(r => _clara.Ask(r)).ToArray();
        var actual = RunConcurrently(count, r => _clara.Ask(r));
        var wrong = Enumerable.Range(0, count).Where(r => !Bits.Same(actual[r], expected[r])).ToList();
        Assert.That(wrong, Is.Empty, () => $"{wrong.Count} of {count} answers differ from sequential ones, first: request {wrong[0]} " +
            $"{Bits.Describe(actual[wrong[0]])} instead of {Bits.Describe(expected[wrong[0]])}");
    }

    [Test]
    public void ConcurrentMixedRequestsMatchSequentialOnes()
    {
        // Asks, compressions, query encodings and plain decoder logits interleaved on the same model.
        int count = Threads * RequestsPerThread;
        var question = _clara.Model.Encode(SharedClara.Questions[0]);
        object Run(int r) => (r % 4) switch
        {
            0 => _clara.Ask(r),
            1 => _clara.Compress(r),
            2 => _clara.Model.EncodeQuery(_clara.Model.Encode(SharedClara.Question(r))),
            _ => _clara.Model.Decoder.ComputeLogits(question.Take(3 + r % 5).ToArray(), ClaraModel.DecoderAdapter),
        };
        bool Same(object a, object b) => (a, b) switch
        {
            (ClaraAnswer x, ClaraAnswer y) => Bits.Same(x, y),
            (CompressedDocuments x, CompressedDocuments y) => Bits.Same(x, y),
            (float[] x, float[] y) => Bits.Same(x, y),
            _ => false,
        };
        var expected = Enumerable.Range(0, count).Select(Run).ToArray();
        var actual = RunConcurrently(count, Run);
        var wrong = Enumerable.Range(0, count).Where(r => !Same(actual[r], expected[r])).ToList();
        Assert.That(wrong, Is.Empty, $"requests whose results differ from sequential ones: {string.Join(", ", wrong)}");
    }

    [Test]
    public void CancelledAsksLeaveEveryOtherAnswerUnchanged()
    {
        // Every third request cancels itself after a different number of tokens (0 = before its first one).
        int count = Threads * RequestsPerThread;
        var expected = Enumerable.Range(0, count).Select(r => _clara.Ask(r)).ToArray();
        var outcomes = RunConcurrently(count, r =>
        {
            if (r % 3 != 0) return (object)_clara.Ask(r);
            using var cancel = new CancellationTokenSource();
            int stopAfter = r / 3 % 4, tokens = 0;
            if (stopAfter == 0) cancel.Cancel();
            try
            {
                _clara.Ask(r, (_, _) => { if (++tokens == stopAfter) cancel.Cancel(); }, cancel.Token);
                return "not cancelled";
            }
            catch (OperationCanceledException)
            {
                return "cancelled";
            }
        });
        for (int r = 0; r < count; r++)
            if (r % 3 == 0) Assert.That(outcomes[r], Is.EqualTo("cancelled"), $"request {r}");
            else Assert.That(Bits.Same((ClaraAnswer)outcomes[r], expected[r]), $"request {r} changed next to cancelled requests");
    }

    /// <summary>Runs requests 0 … count−1 on <see cref="Threads"/> threads (thread t takes t, t+Threads, …), all released together.</summary>
    internal static T[] RunConcurrently<T>(int count, Func<int, T> run)
    {
        var results = new T[count];
        using var start = new Barrier(Threads);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var wrapped = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int r = t; r < count; r += Threads) results[r] = run(r);
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToList();
        wrapped.ForEach(t => t.Start());
        wrapped.ForEach(t => t.Join());
        if (!failures.IsEmpty) throw new AggregateException(failures);
        return results;
    }
}
