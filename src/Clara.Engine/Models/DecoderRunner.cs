using System.Collections.Concurrent;
using Clara.Engine.Backends;
using Clara.Engine.Graph;
using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>Host-side inputs of one forward over <c>batch × length</c> new positions (row-major, batch first).</summary>
public sealed record ForwardInputs(int Batch, int Length, int[] Ids, int[] Attend, int[] Positions)
{
    /// <summary>Rows (into batch·length) whose logits are wanted; null = every row.</summary>
    public int[]? LogitRows { get; init; }

    /// <summary>Rows of the embedding output to overwrite, and their new values [rows, hidden] (CLaRa memory slots).</summary>
    public int[]? SpliceRows { get; init; }
    public float[]? SpliceValues { get; init; }

    public bool WantLogits { get; init; } = true;

    /// <summary>
    /// An array for the logits (exactly logit rows × vocabulary floats), reused across a decode loop's steps instead
    /// of a new large-object array per step; <see cref="ForwardOutputs.Logits"/> is then this array. Null: a new one.
    /// </summary>
    public float[]? LogitsBuffer { get; init; }
    public bool Trace { get; init; }

    public void Validate(ModelConfig config)
    {
        int rows = Batch * Length;
        if (Batch <= 0 || Length <= 0) throw new ArgumentException($"a forward needs at least one position, got {Batch}×{Length}");
        if (Ids.Length != rows || Attend.Length != rows || Positions.Length != rows)
            throw new ArgumentException($"ids/attend/positions must each hold {Batch}×{Length} entries");
        for (int i = 0; i < rows; i++)
            if ((uint)Ids[i] >= (uint)config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(Ids), $"token id {Ids[i]} at row {i} is outside the vocabulary of {config.VocabSize}");
        if (LogitRows is { } lr && lr.Any(r => (uint)r >= (uint)rows))
            throw new ArgumentOutOfRangeException(nameof(LogitRows), $"a logit row lies outside [0, {rows})");
        if (SpliceRows is { } sr)
        {
            if (SpliceValues is null || SpliceValues.Length != (long)sr.Length * config.HiddenSize)
                throw new ArgumentException($"splice values must be [{sr.Length}, {config.HiddenSize}]");
            if (sr.Any(r => (uint)r >= (uint)rows)) throw new ArgumentOutOfRangeException(nameof(SpliceRows), $"a spliced row lies outside [0, {rows})");
        }
        if (LogitsBuffer is { } buffer)
        {
            long wanted = (long)(LogitRows?.Length ?? rows) * config.VocabSize;
            if (!WantLogits) throw new ArgumentException("a logits buffer was given for a forward that computes no logits");
            if (buffer.Length != wanted)
                throw new ArgumentException($"the logits buffer holds {buffer.Length} floats; this forward's logits are {wanted} ({LogitRows?.Length ?? rows} rows × {config.VocabSize})");
        }
    }
}

/// <summary>Results of one forward, copied to the host.</summary>
public sealed record ForwardOutputs(float[] Hidden, float[]? Logits, IReadOnlyDictionary<string, float[]> Trace);

/// <summary>
/// Runs decoder forwards on a backend: builds the graph for the request's shape and executes it against a KV cache.
/// Safe to share between threads: each forward borrows an executor (its own arena) for its whole run, and the plan
/// cache is concurrent, so concurrent forwards never share a mutable buffer and each gives the bits it gives alone.
/// A cache itself belongs to one forward at a time.
/// </summary>
public sealed class DecoderRunner(ModelWeights weights, IBackend backend) : IDisposable
{
    // Bounds the plan cache: a long-lived runner sees few distinct shapes per workload, but prompt lengths vary.
    private const int MaxPlans = 64;

    private readonly ExecutorPool _executors = new(backend);

    // Planning a 32-block graph takes milliseconds; a decode step's graph differs from the last one only in the cache
    // position, so its plan is reused. Plans are immutable, so concurrent forwards may share one.
    private readonly ConcurrentDictionary<(object Request, string? Adapter), BufferPlan> _plans = new();

    public ModelWeights Weights { get; } = weights;
    public IBackend Backend { get; } = backend;

    public ForwardOutputs Forward(KvCache cache, ForwardInputs inputs, LoraAdapter? adapter)
    {
        inputs.Validate(Weights.Config);
        if (cache.Batch != inputs.Batch) throw new ArgumentException($"the cache holds {cache.Batch} sequences, the inputs {inputs.Batch}");
        int start = cache.Length;
        var mode = !inputs.WantLogits ? LogitsMode.None : inputs.LogitRows is null ? LogitsMode.AllRows : LogitsMode.SelectedRows;
        var request = new ForwardRequest(inputs.Batch, inputs.Length, start, mode,
            inputs.LogitRows?.Length ?? 0, inputs.SpliceRows?.Length ?? 0, inputs.Trace);
        var planKey = (request.PlanKey, adapter?.Name);
        var graph = new DecoderGraph(Weights, adapter, cache, request, _plans.GetValueOrDefault(planKey));
        if (_plans.Count > MaxPlans) _plans.Clear();
        _plans.TryAdd(planKey, graph.Plan);
        cache.Reserve(inputs.Length, inputs.Attend);

        var owned = new List<Tensor>();
        Tensor Upload(int[] values) { var t = Tensor.FromInts(Backend, values, values.Length); owned.Add(t); return t; }
        try
        {
            var bound = new Dictionary<Value, Tensor>
            {
                [graph.Ids] = Upload(inputs.Ids),
                [graph.Positions] = Upload(inputs.Positions),
            };
            if (graph.LogitRows is not null) bound[graph.LogitRows] = Upload(inputs.LogitRows!);
            if (graph.SpliceRows is not null)
            {
                bound[graph.SpliceRows] = Upload(inputs.SpliceRows!);
                var values = Tensor.FromFloats(Backend, inputs.SpliceValues!, inputs.SpliceRows!.Length, Weights.Config.HiddenSize);
                owned.Add(values);
                bound[graph.SpliceValues!] = values;
            }
            // The outputs are views of the executor's arena: copy them out before another forward may borrow it.
            using var lease = _executors.Rent();
            var result = lease.Executor.Run(graph.Graph, bound, graph.Plan);
            var trace = inputs.Trace
                ? graph.NamedValues.ToDictionary(kv => kv.Key, kv => result[kv.Value].ToFloatArray())
                : new Dictionary<string, float[]>();
            return new ForwardOutputs(result[graph.Hidden].ToFloatArray(), graph.Logits is null ? null : Logits(result[graph.Logits], inputs.LogitsBuffer), trace);
        }
        finally
        {
            foreach (var t in owned) t.Buffer.Dispose();
        }
    }

    private static float[] Logits(Tensor logits, float[]? buffer)
    {
        if (buffer is null) return logits.ToFloatArray();
        logits.CopyTo(buffer);
        return buffer;
    }

    public void Dispose() => _executors.Dispose();
}
