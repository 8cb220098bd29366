using Clara.Engine.Tensors;

namespace Clara.Engine.Graph;

public enum ValueKind
{
    /// <summary>Bound by the caller on every run (token ids, positions).</summary>
    Input,
    /// <summary>Bound once when the graph is built and outlives it (weights, KV caches).</summary>
    External,
    /// <summary>Produced by a node; memory comes from the planned arena.</summary>
    Intermediate,
    /// <summary>
    /// A trainable tensor of a <see cref="Training.ParameterStore"/>: read like an external weight; its gradient is the
    /// store's gradient view, which backward accumulates into (never the arena).
    /// </summary>
    Parameter,
}

/// <summary>A tensor-valued edge of a <see cref="ComputeGraph"/>.</summary>
public sealed class Value
{
    internal Value(int id, string name, Shape shape, DType dtype, ValueKind kind, Tensor? bound,
        Training.Parameter? parameter = null, Value? aliasOf = null)
    {
        Parameter = parameter;
        AliasOf = aliasOf;
        Id = id;
        Name = name;
        Shape = shape;
        DType = dtype;
        Kind = kind;
        Bound = bound;
    }

    public int Id { get; }
    public string Name { get; }
    public Shape Shape { get; }
    public DType DType { get; }
    public ValueKind Kind { get; }

    /// <summary>The tensor of an <see cref="ValueKind.External"/> value.</summary>
    internal Tensor? Bound { get; }

    /// <summary>The store entry of a <see cref="ValueKind.Parameter"/> value.</summary>
    public Training.Parameter? Parameter { get; }

    /// <summary>
    /// Set when this value is another view of <see cref="AliasOf"/>'s bytes with another shape (a reshape): it has no
    /// storage of its own, and reading it keeps the root alive.
    /// </summary>
    public Value? AliasOf { get; }

    /// <summary>The value that owns the bytes (itself unless an alias).</summary>
    public Value Root => AliasOf?.Root ?? this;

    /// <summary>Outputs live until the end of the run, so the caller can read them.</summary>
    public bool IsOutput { get; internal set; }

    public long ByteLength => Shape.ElementCount * DType.SizeOf();
    public override string ToString() => $"%{Id} {Name}: {DType}{Shape}";
}
