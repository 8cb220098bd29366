using System.Runtime.CompilerServices;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Graph;

/// <summary>
/// A straight-line program of kernel calls over values. Model code builds one per forward shape with the
/// typed helpers below, which check shapes at build time so a mistake surfaces before any kernel runs.
/// </summary>
public sealed partial class ComputeGraph
{
    private readonly List<Value> _values = [];
    private readonly List<Node> _nodes = [];
    private readonly List<RecomputableSegment> _segments = [];

    public IReadOnlyList<Value> Values => _values;
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>
    /// Node ranges a backward pass may recompute instead of keeping their activations (activation checkpointing):
    /// see <see cref="MarkRecomputable"/> and <see cref="BackwardOptions.RecomputeSegments"/>.
    /// </summary>
    public IReadOnlyList<RecomputableSegment> RecomputableSegments => _segments;

    public Value Input(string name, Shape shape, DType dtype) => NewValue(name, shape, dtype, ValueKind.Input, null);

    public Value External(string name, Tensor tensor) => NewValue(name, tensor.Shape, tensor.DType, ValueKind.External, tensor);

    public void MarkOutput(Value value) => value.IsOutput = true;

    /// <summary>
    /// Declares the nodes added since <paramref name="firstNode"/> (a decoder block) as one segment that a backward pass
    /// may run again from its inputs rather than keep its activations. Segments are disjoint and in node order.
    /// </summary>
    public void MarkRecomputable(int firstNode, string name)
    {
        int end = _nodes.Count;
        Expect(firstNode >= 0 && firstNode < end, $"segment {name} starts at node {firstNode}, the graph has {end}");
        Expect(_segments.Count == 0 || _segments[^1].End <= firstNode, $"segment {name} overlaps the segment before it");
        _segments.Add(new RecomputableSegment(name, firstNode, end));
    }

    public Value Embedding(Value ids, Value table, string name = "embed")
    {
        Expect(table.Shape.Rank == 2, $"embedding table {table} must be [vocab, hidden]");
        return Add(new EmbeddingNode(ids, table, Intermediate(name, new Shape((int)ids.Shape.ElementCount, table.Shape[1]))));
    }

    public Value RmsNorm(Value input, Value weight, float eps, string name)
    {
        Expect(weight.Shape.ElementCount == input.Shape[-1], $"rmsnorm weight {weight} does not match {input}");
        return Add(new RmsNormNode(input, weight, eps, Intermediate(name, input.Shape)));
    }

    public Value MatMul(Value input, Value weight, string name)
    {
        Expect(weight.Shape.Rank == 2 && weight.Shape[1] == input.Shape[-1], $"weight {weight} cannot multiply {input}");
        return Add(new MatMulNode(input, weight, Intermediate(name, RowsBy(input, weight.Shape[0]))));
    }

    /// <summary>y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ with A [r, in] and B [out, r] (PEFT layout).</summary>
    public Value LoraLinear(Value input, Value weight, Value loraA, Value loraB, float scale, string name)
    {
        Expect(loraA.Shape.Rank == 2 && loraA.Shape[1] == input.Shape[-1], $"LoRA A {loraA} cannot multiply {input}");
        Expect(loraB.Shape.Rank == 2 && loraB.Shape[1] == loraA.Shape[0] && loraB.Shape[0] == weight.Shape[0],
            $"LoRA B {loraB} does not match A {loraA} and weight {weight}");
        var down = MatMul(input, loraA, name + ".lora_down");
        return Add(new LoraLinearNode(input, weight, down, loraB, scale, Intermediate(name, RowsBy(input, weight.Shape[0]))));
    }

    public Value Rope(Value input, Value positions, int headDim, float theta, string name)
    {
        Expect(positions.Shape.ElementCount == input.Shape.Rows, $"rope positions {positions} do not match {input}");
        return Add(new RopeNode(input, positions, headDim, theta, Intermediate(name, input.Shape)));
    }

    public void WriteCache(Value source, Value cache, int start) => _nodes.Add(new WriteCacheNode(source, cache, start));

    public Value Attention(Value query, Value keyCache, Value valueCache, Value keyMask, AttentionLayout layout, string name)
    {
        layout.Validate();
        return Add(new AttentionNode(query, keyCache, valueCache, keyMask, layout, Intermediate(name, query.Shape)));
    }

    public Value SwiGlu(Value gate, Value up, string name)
    {
        Expect(gate.Shape.Equals(up.Shape), $"swiglu gate {gate} and up {up} differ");
        return Add(new SwiGluNode(gate, up, Intermediate(name, gate.Shape)));
    }

    public Value Add(Value a, Value b, string name)
    {
        Expect(a.Shape.Equals(b.Shape), $"cannot add {a} and {b}");
        return Add(new AddNode(a, b, Intermediate(name, a.Shape)));
    }

    public Value LogSoftmax(Value input, string name) => Add(new LogSoftmaxNode(input, Intermediate(name, input.Shape)));

    public Value GatherRows(Value input, Value rows, string name) =>
        Add(new GatherRowsNode(input, rows, Intermediate(name, new Shape((int)rows.Shape.ElementCount, input.Shape[-1]))));

    public void ScatterRows(Value source, Value rows, Value target)
    {
        Expect(source.Shape[-1] == target.Shape[-1], $"cannot scatter {source} into {target}");
        _nodes.Add(new ScatterRowsNode(source, rows, target));
    }

    private Value Add(Node node)
    {
        _nodes.Add(node);
        return node.Writes!;
    }

    /// <summary>Appends a node built elsewhere (the backward rules) and returns its first output.</summary>
    internal Value? Append(Node node)
    {
        _nodes.Add(node);
        return node.Writes;
    }

    internal Value Intermediate(string name, Shape shape) => NewValue(name, shape, DType.F32, ValueKind.Intermediate, null);

    /// <summary>A fresh intermediate with <paramref name="like"/>'s shape and type (a recomputed copy of it).</summary>
    internal Value IntermediateLike(Value like, string name) => NewValue(name, like.Shape, like.DType, ValueKind.Intermediate, null);

    private Value NewValue(string name, Shape shape, DType dtype, ValueKind kind, Tensor? bound,
        Training.Parameter? parameter = null, Value? aliasOf = null)
    {
        var value = new Value(_values.Count, name, shape, dtype, kind, bound, parameter, aliasOf);
        _values.Add(value);
        return value;
    }

    private static Shape RowsBy(Value input, int columns) => new((int)input.Shape.Rows, columns);

    internal static void Expect(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }

    internal static void Expect(bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref ExpectationMessage message)
    {
        if (!condition) throw new ArgumentException(message.ToStringAndClear());
    }
}

/// <summary>Forward nodes [<see cref="First"/>, <see cref="End"/>) of a graph that backward may recompute.</summary>
public sealed record RecomputableSegment(string Name, int First, int End);
