using Clara.Engine.Tensors;

namespace Clara.Engine.Graph;

/// <summary>
/// The gradient of a value while backward runs: a graph value, or a constant spread uniformly over the value (a loss
/// seeds 1, a mean passes 1/n on), so the loss nodes can take their upstream gradient as a kernel scale.
/// </summary>
internal readonly record struct Gradient(Value? Tensor, float Constant)
{
    public bool IsConstant => Tensor is null;
}

/// <summary>
/// Reverse-mode state of one backward pass: which values need a gradient, and each value's gradient so far. The first
/// contribution is adopted; later ones are added in place when the holder is exclusively this value's, out of place
/// otherwise (an add passes one gradient value to both inputs). Parameter gradients are the store's views and every
/// contribution adds into them, so micro-batches accumulate.
/// </summary>
internal sealed class GradientBuilder
{
    private readonly HashSet<Value> _needs = [];
    private readonly Dictionary<Value, (Gradient Gradient, bool Owned)> _gradients = [];

    public GradientBuilder(ComputeGraph graph, int forwardNodes)
    {
        Graph = graph;
        foreach (var v in graph.Values.ToList())
            if (v.Kind == ValueKind.Parameter)
            {
                _needs.Add(v);
                var sink = graph.External("grad:" + v.Name, v.Parameter!.Gradient);
                _gradients[v] = (new Gradient(sink, 0f), true);
            }
        for (int i = 0; i < forwardNodes; i++)
        {
            var node = graph.Nodes[i];
            if (node.Reads.Any(_needs.Contains))
                foreach (var o in node.Outputs)
                    if (o.DType == DType.F32) _needs.Add(o);
        }
    }

    public ComputeGraph Graph { get; }

    /// <summary>Whether <paramref name="value"/> depends on a parameter (ids, masks, frozen weights never do).</summary>
    public bool Needs(Value value) => _needs.Contains(value);

    /// <summary>The gradient that reached <paramref name="value"/>, if any.</summary>
    public Gradient? Of(Value value) => _gradients.TryGetValue(value, out var g) ? g.Gradient : null;

    /// <summary>The gradient of <paramref name="value"/> as a graph value (a constant is filled in); null when none reached it.</summary>
    public Value? Materialize(Value value)
    {
        if (Of(value) is not { } g) return null;
        if (!g.IsConstant) return g.Tensor;
        var filled = Fill(value.Shape, g.Constant, "grad:" + value.Name);
        _gradients[value] = (new Gradient(filled, 0f), true);
        return filled;
    }

    public void Contribute(Value x, Value gradient, bool owned = true)
    {
        if (!Needs(x)) return;
        ComputeGraph.Expect(gradient.Shape.ElementCount == x.Shape.ElementCount, $"gradient {gradient} does not fit {x}");
        if (!_gradients.TryGetValue(x, out var held)) { _gradients[x] = (new Gradient(gradient, 0f), owned); return; }
        var holder = Holder(x, held);
        Graph.Append(new AddScaledNode(holder, gradient, 1f, holder));
    }

    public void ContributeConstant(Value x, float constant)
    {
        if (!Needs(x)) return;
        if (!_gradients.TryGetValue(x, out var held)) { _gradients[x] = (new Gradient(null, constant), false); return; }
        if (held.Gradient.IsConstant) { _gradients[x] = (new Gradient(null, held.Gradient.Constant + constant), false); return; }
        Contribute(x, Fill(x.Shape, constant, "grad:" + x.Name));
    }

    /// <summary>Adds alpha · op(a) · op(b) to x's gradient: straight into its holder (beta = 1) when there is one.</summary>
    public void ContributeProduct(Value x, Value a, bool transposeA, Value b, bool transposeB, float alpha)
    {
        if (!Needs(x)) return;
        if (_gradients.TryGetValue(x, out var held))
        {
            var holder = Holder(x, held);
            Graph.Append(new GemmNode(a, transposeA, b, transposeB, alpha, holder, accumulate: true));
            return;
        }
        var product = Graph.Gemm(a, transposeA, b, transposeB, "grad:" + x.Name, alpha);
        Contribute(x, x.Shape.Equals(product.Shape) ? product : Graph.Reshape(product, x.Shape));
    }

    /// <summary>x's gradient as a value that accumulating kernels may add into (zero-filled when nothing reached x yet).</summary>
    public Value Accumulator(Value x)
    {
        if (_gradients.TryGetValue(x, out var held)) return Holder(x, held);
        var zero = Fill(x.Shape, 0f, "grad:" + x.Name);
        _gradients[x] = (new Gradient(zero, 0f), true);
        return zero;
    }

    public Value Fill(Shape shape, float value, string name) => Graph.Append(new FillNode(value, Graph.Intermediate(name, shape)))!;

    /// <summary>A value holding x's gradient that x alone owns, copying a shared or constant one first.</summary>
    private Value Holder(Value x, (Gradient Gradient, bool Owned) held)
    {
        if (held.Owned && !held.Gradient.IsConstant) return held.Gradient.Tensor!;
        var own = Fill(x.Shape, held.Gradient.Constant, "grad:" + x.Name);
        if (!held.Gradient.IsConstant) Graph.Append(new AddScaledNode(own, held.Gradient.Tensor!, 1f, own));
        _gradients[x] = (new Gradient(own, 0f), true);
        return own;
    }

    /// <summary>Seeds the loss and runs every forward node's rule in reverse (a recomputed segment's on its copy).</summary>
    internal void Run(Value loss, int forwardNodes, BackwardOptions options)
    {
        if (!Needs(loss)) throw new InvalidOperationException($"the loss {loss} does not depend on any trainable parameter");
        _gradients[loss] = (new Gradient(null, 1f), false);
        var recomputedByLastNode = options.RecomputeSegments
            ? Graph.RecomputableSegments.Where(s => s.End <= forwardNodes).ToDictionary(s => s.End - 1)
            : [];
        for (int i = forwardNodes - 1; i >= 0; i--)
        {
            if (recomputedByLastNode.TryGetValue(i, out var segment))
            {
                DifferentiateRecomputed(segment);
                i = segment.First;
                continue;
            }
            Differentiate(Graph.Nodes[i]);
        }
    }

    private void Differentiate(Node node)
    {
        if (!node.Outputs.Any(_gradients.ContainsKey)) return;
        if (!node.Reads.Any(Needs)) return;
        node.Backward(this);
    }

    /// <summary>
    /// Appends a copy of the segment's nodes (run again from the segment's inputs), hands the gradients that reached the
    /// segment's values to their copies and differentiates the copies: the backward reads only the recomputed
    /// activations, so the forward's die at their last forward reader.
    /// </summary>
    private void DifferentiateRecomputed(RecomputableSegment segment)
    {
        var nodes = Graph.Nodes.Skip(segment.First).Take(segment.End - segment.First).ToList();
        if (!nodes.Any(n => n.Outputs.Any(_gradients.ContainsKey))) return;
        var map = new RecomputeMap(Graph);
        var copies = new List<Node>(nodes.Count);
        foreach (var node in nodes)
        {
            var copy = node.Recompute(map);
            Graph.Append(copy);
            copies.Add(copy);
        }
        foreach (var (original, copy) in map.Copies)
        {
            if (_needs.Contains(original)) _needs.Add(copy);
            if (_gradients.Remove(original, out var held)) _gradients[copy] = held;
        }
        for (int j = copies.Count - 1; j >= 0; j--) Differentiate(copies[j]);
    }
}

/// <summary>Reverse-mode differentiation as a graph-to-graph pass (as ggml's build_backward, candle's backprop).</summary>
public static class Autodiff
{
    /// <summary>
    /// Appends to <paramref name="graph"/> the nodes that add ∂loss/∂θ into every parameter's store gradient;
    /// <paramref name="loss"/> is a scalar [1] value. Values that do not depend on a parameter get no gradient.
    /// </summary>
    public static void Backward(ComputeGraph graph, Value loss, BackwardOptions? options = null)
    {
        if (loss.Shape.ElementCount != 1) throw new ArgumentException($"the loss must be a scalar, {loss} is not");
        int forward = graph.Nodes.Count;
        new GradientBuilder(graph, forward).Run(loss, forward, options ?? new BackwardOptions());
    }
}
