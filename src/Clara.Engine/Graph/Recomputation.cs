namespace Clara.Engine.Graph;

/// <summary>What a backward pass may do besides differentiating every node as it stands.</summary>
public sealed record BackwardOptions
{
    /// <summary>
    /// Activation checkpointing: run each of the graph's <see cref="ComputeGraph.RecomputableSegments"/> again just
    /// before its backward, from its inputs, and differentiate the copy. The forward's activations inside a segment then
    /// die with the forward (only a segment's inputs, such as a block's incoming hidden state, stay alive until its
    /// backward), for one more forward pass of the segments' work. The copy runs the same kernels on the same inputs, so
    /// every value it recomputes is bit-identical to the forward's.
    /// </summary>
    public bool RecomputeSegments { get; init; }
}

/// <summary>
/// The values of one recomputed segment: each value a segment node writes gets a fresh copy; every other value (the
/// segment's inputs, weights, parameters, positions, masks) is read as it is.
/// </summary>
internal sealed class RecomputeMap(ComputeGraph graph)
{
    private readonly Dictionary<Value, Value> _copies = [];

    /// <summary>The copy of a value written inside the segment, the value itself otherwise.</summary>
    public Value this[Value value] => _copies.TryGetValue(value, out var copy) ? copy : value;

    /// <summary>A fresh value for the recomputed output <paramref name="original"/>.</summary>
    public Value Output(Value original)
    {
        if (original.AliasOf is not null) throw new NotSupportedException($"{original} is a view; a recomputed segment cannot contain views");
        var copy = graph.IntermediateLike(original, original.Name + ".recomputed");
        _copies.Add(original, copy);
        return copy;
    }

    public IReadOnlyDictionary<Value, Value> Copies => _copies;
}
