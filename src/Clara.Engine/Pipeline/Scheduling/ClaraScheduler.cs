using System.Threading.Channels;
using Clara.Engine.Models;

namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// Owns a CLaRa model's execution: callers submit compressions (documents or questions, any adapter) and generations
/// and await their results, while one worker thread runs every forward. Documents of concurrent compressions share
/// batched forwards; generations are decoded alone (<see cref="GenerationBatching.Exact"/>) or continuously batched
/// (<see cref="GenerationBatching.Continuous"/>). At most <see cref="SchedulerOptions.QueueCapacity"/> requests are
/// admitted at once (waiting or running); beyond that a submission waits or is refused.
/// </summary>
/// <remarks>
/// Safe to share: every method may be called from any thread. Per-request state (outputs, KV cache rows, sampler)
/// belongs to its request alone. A cancelled request's task is cancelled at once and the request leaves the batch at
/// the next step. Callbacks (<c>onToken</c>, progress) run on the worker thread and should return quickly.
/// </remarks>
public sealed class ClaraScheduler : IDisposable
{
    private readonly DecoderModel _model;
    private readonly ClaraConfig _config;
    private readonly SemaphoreSlim _admitted;
    private readonly Channel<object> _submitted = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CompressionBatcher _compressions;
    private readonly DecodeBatch _decode;
    private readonly Queue<GenerationWork> _waitingGenerations = [];
    private readonly HashSet<int> _modelStops;
    private readonly Thread _worker;
    private readonly SchedulerCounters _counters = new();
    private int _disposed;

    public ClaraScheduler(DecoderModel model, ClaraConfig config, SchedulerOptions? options = null)
    {
        Options = options ?? new SchedulerOptions();
        Options.Validate();
        _model = model;
        _config = config;
        _admitted = new SemaphoreSlim(Options.QueueCapacity, Options.QueueCapacity);
        _compressions = new CompressionBatcher(new Compressor(model, config), Options.MaxCompressionBatch, _counters);
        _decode = new DecodeBatch(model, ClaraModel.DecoderAdapter, Options.DecodeRows, _counters);
        _modelStops = [config.EosTokenId, .. model.Config.EosTokenIds];
        _worker = new Thread(Work) { IsBackground = true, Name = "clara-scheduler" };
        _worker.Start();
    }

    public SchedulerOptions Options { get; }

    /// <summary>How the requests so far were batched.</summary>
    public SchedulerStatistics Statistics => _counters.Snapshot();

    /// <summary>Requests admitted and not yet finished (waiting or running).</summary>
    public int Pending => Options.QueueCapacity - _admitted.CurrentCount;

    /// <summary>§2 (or §3 with the query adapter): memories of <paramref name="texts"/>, batched with other callers' documents.</summary>
    public Task<CompressedDocuments> CompressAsync(IReadOnlyList<IReadOnlyList<int>> texts, string adapter,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        _model.GetAdapter(adapter);
        foreach (var text in texts)
            foreach (int id in text)
                if ((uint)id >= (uint)_model.Config.VocabSize)
                    throw new ArgumentOutOfRangeException(nameof(texts), $"token id {id} is outside the vocabulary of {_model.Config.VocabSize}");
        return Submit(new CompressionWork(texts, adapter, _config.MemoryTokens, _model.Config.HiddenSize, progress, cancellation));
    }

    /// <summary>§5: the answer to one prompt whose slots receive the given memories; <paramref name="onToken"/> sees each token as it is chosen.</summary>
    public Task<int[]> GenerateAsync(GenerationPrompt prompt, GenerationOptions options, Action<int>? onToken = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var prefill = GenerationWork.PrefillInputs(prompt, _config, _model.Config, options.MaxNewTokens);
        return Submit(new GenerationWork(prefill, options, _modelStops.Concat(options.StopTokens), onToken, cancellation));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _submitted.Writer.TryComplete();
        if (Thread.CurrentThread != _worker) _worker.Join();
        // The admission semaphore is left undisposed: a late Release from a finishing request must stay harmless.
        _decode.Dispose();
    }

    private async Task<T> Submit<T>(SchedulerWork<T> work)
    {
        using (work)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (Options.WhenFull == QueueFullMode.Reject)
            {
                if (!_admitted.Wait(0)) throw new SchedulerQueueFullException(Options.QueueCapacity);
            }
            else
            {
                await _admitted.WaitAsync(work.Cancellation).ConfigureAwait(false);
            }
            // The slot is freed when the worker drops the request, not when its task completes: a cancelled request
            // completes at once but stays in the worker's lists until the next step, and the bound must count it.
            work.Released = () => _admitted.Release();
            if (!_submitted.Writer.TryWrite(work))
            {
                work.MarkReleased();
                throw new ObjectDisposedException(nameof(ClaraScheduler));
            }
            return await work.Task.ConfigureAwait(false);
        }
    }

    private void Work()
    {
        var shutdown = new ObjectDisposedException(nameof(ClaraScheduler), "the scheduler was disposed before the request ran");
        while (true)
        {
            bool idle = !_compressions.HasWork && _decode.IsEmpty && _waitingGenerations.Count == 0;
            if (idle && !_submitted.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
            if (Volatile.Read(ref _disposed) != 0) break;
            try
            {
                while (_submitted.Reader.TryRead(out var item))
                    if (item is CompressionWork c) _compressions.Add(c);
                    else _waitingGenerations.Enqueue((GenerationWork)item);
                if (_compressions.HasWork) _compressions.RunOneBatch();
                var joining = new List<GenerationWork>();
                while (_waitingGenerations.TryPeek(out var next) && (next.IsFinished || _decode.CanAdmit(next, joining)))
                {
                    _waitingGenerations.Dequeue();
                    if (next.IsFinished) next.MarkReleased();
                    else joining.Add(next);
                }
                _decode.Admit(joining);
                _decode.Step();
            }
            catch (Exception e)
            {
                // A fault outside any one request (a bug, a dead device): fail everything rather than hang the callers.
                FailEverything(e);
            }
        }
        FailEverything(shutdown);
        while (_submitted.Reader.TryRead(out var item)) Fail(item, shutdown);
    }

    private void FailEverything(Exception error)
    {
        _compressions.FailAll(error);
        _decode.FailAll(error);
        while (_waitingGenerations.TryDequeue(out var g))
        {
            g.Fail(error);
            g.MarkReleased();
        }
    }

    private static void Fail(object item, Exception error)
    {
        switch (item)
        {
            case CompressionWork c:
                c.Fail(error);
                c.MarkReleased();
                break;
            case GenerationWork g:
                g.Fail(error);
                g.MarkReleased();
                break;
        }
    }
}
