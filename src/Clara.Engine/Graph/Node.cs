using Clara.Engine.Backends;

namespace Clara.Engine.Graph;

/// <summary>
/// One kernel call. <see cref="Reads"/> are the values it reads; <see cref="Writes"/> the value it produces
/// (null for nodes that only update an external value, such as a KV-cache write). Nodes that update a value in
/// place list it in <see cref="Reads"/> too, so the planner keeps it alive.
/// </summary>
public abstract class Node
{
    protected Node(string op, Value[] reads, Value? writes)
    {
        Op = op;
        Reads = reads;
        Writes = writes;
    }

    public string Op { get; }
    public IReadOnlyList<Value> Reads { get; }
    public Value? Writes { get; }

    public abstract void Execute(IKernels kernels, IValueBinding values);

    public override string ToString() =>
        $"{Writes?.ToString() ?? "_"} = {Op}({string.Join(", ", Reads.Select(r => "%" + r.Id))})";
}

/// <summary>Resolves graph values to tensors during one run.</summary>
public interface IValueBinding
{
    Tensor this[Value value] { get; }
}
