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
}

/// <summary>A tensor-valued edge of a <see cref="ComputeGraph"/>.</summary>
public sealed class Value
{
    internal Value(int id, string name, Shape shape, DType dtype, ValueKind kind, Tensor? bound)
    {
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

    /// <summary>Outputs live until the end of the run, so the caller can read them.</summary>
    public bool IsOutput { get; internal set; }

    public long ByteLength => Shape.ElementCount * DType.SizeOf();
    public override string ToString() => $"%{Id} {Name}: {DType}{Shape}";
}
