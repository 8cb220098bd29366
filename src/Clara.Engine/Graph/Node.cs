using Clara.Engine.Backends;

namespace Clara.Engine.Graph;

/// <summary>
/// One kernel call. <see cref="Reads"/> are the values it reads; <see cref="Writes"/> the value it produces
/// (null for nodes that only update an external value, such as a KV-cache write). Nodes that update a value in
/// place list it in <see cref="Reads"/> too, so the planner keeps it alive. Some nodes produce more than one value
/// (attention's log-sum-exp, a loss's saved statistics): <see cref="Outputs"/> lists them, <see cref="Writes"/> is the first.
/// </summary>
public abstract class Node
{
    protected Node(string op, Value[] reads, Value? writes)
    {
        Op = op;
        Reads = reads;
        Writes = writes;
        Outputs = writes is null ? [] : [writes];
    }

    protected Node(string op, Value[] reads, Value[] outputs)
    {
        Op = op;
        Reads = reads;
        Outputs = outputs;
        Writes = outputs.Length > 0 ? outputs[0] : null;
    }

    public string Op { get; }
    public IReadOnlyList<Value> Reads { get; }
    public Value? Writes { get; }
    public IReadOnlyList<Value> Outputs { get; }

    public abstract void Execute(IKernels kernels, IValueBinding values);

    /// <summary>
    /// Appends to the graph the nodes that turn the gradients of this node's outputs into contributions to its
    /// inputs' gradients (only those <see cref="GradientBuilder.Needs"/> says need one). Nodes without a rule refuse.
    /// </summary>
    internal virtual void Backward(GradientBuilder gradients) =>
        throw new NotSupportedException($"no gradient rule for {Op} ({this})");

    /// <summary>
    /// The same call over <paramref name="map"/>'s values, with fresh outputs (activation checkpointing appends it again
    /// in the backward pass). Only the node types a decoder block uses can; others refuse.
    /// </summary>
    internal virtual Node Recompute(RecomputeMap map) =>
        throw new NotSupportedException($"{Op} ({this}) cannot be recomputed; keep it out of recomputable segments");

    public override string ToString() =>
        $"{Writes?.ToString() ?? "_"} = {Op}({string.Join(", ", Reads.Select(r => "%" + r.Id))})";
}

/// <summary>Resolves graph values to tensors during one run.</summary>
public interface IValueBinding
{
    Tensor this[Value value] { get; }
}
