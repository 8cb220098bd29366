using Clara.Engine.Backends.Cpu;
using Clara.Engine.Graph;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Graph;

public class BufferPlanTests
{
    /// <summary>A chain of 12 norm layers: each value dies two nodes later, so the arena should be far below the sum.</summary>
    private static (ComputeGraph Graph, Value Input, Value Output) Chain(CpuBackend backend, int width = 64, int rows = 8)
    {
        var g = new ComputeGraph();
        var x = g.Input("x", new Shape(rows, width), DType.F32);
        var w = g.External("w", Tensor.FromFloats(backend, Enumerable.Repeat(1f, width).ToArray(), width));
        var h = x;
        for (int i = 0; i < 12; i++) h = g.Add(g.RmsNorm(h, w, 1e-5f, $"n{i}"), h, $"r{i}");
        g.MarkOutput(h);
        return (g, x, h);
    }

    [Test]
    public void LiveValuesNeverShareBytes()
    {
        using var backend = new CpuBackend();
        var (graph, _, _) = Chain(backend);
        var plan = BufferPlan.Create(graph);
        var life = Lifetimes(graph);
        var values = graph.Values.Where(plan.Contains).ToList();
        Assert.That(values, Has.Count.EqualTo(graph.Values.Count(v => v.Kind == ValueKind.Intermediate)));
        foreach (var a in values)
            foreach (var b in values)
            {
                if (a == b) continue;
                bool timeOverlap = life[a].First <= life[b].Last && life[b].First <= life[a].Last;
                bool spaceOverlap = plan.OffsetOf(a) < plan.OffsetOf(b) + b.ByteLength && plan.OffsetOf(b) < plan.OffsetOf(a) + a.ByteLength;
                Assert.That(timeOverlap && spaceOverlap, Is.False, $"{a} and {b} are alive together and overlap in the arena");
            }
        Assert.That(values.All(v => plan.OffsetOf(v) % BufferPlan.Alignment == 0), "every value is aligned");
    }

    [Test]
    public void MemoryIsReused()
    {
        using var backend = new CpuBackend();
        var (graph, _, _) = Chain(backend);
        var plan = BufferPlan.Create(graph);
        Assert.That(plan.ArenaBytes, Is.LessThanOrEqualTo(plan.UnplannedBytes / 4),
            $"arena {plan.ArenaBytes} B vs {plan.UnplannedBytes} B without reuse");
    }

    [Test]
    public void ExecutorComputesTheSameAsDirectKernelCalls()
    {
        using var backend = new CpuBackend();
        var (graph, input, output) = Chain(backend, width: 5, rows: 3);
        var rng = new Random(7);
        var data = Enumerable.Range(0, 15).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        using var executor = new GraphExecutor(backend);
        var x = Tensor.FromFloats(backend, data, 3, 5);
        var result = executor.Run(graph, new Dictionary<Value, Tensor> { [input] = x })[output].ToFloatArray();

        // Independent arithmetic: h ← h + h·rsqrt(mean(h²)+eps), twelve times, in doubles.
        var expected = new double[15];
        for (int r = 0; r < 3; r++)
        {
            var h = data.Skip(r * 5).Take(5).Select(v => (double)v).ToArray();
            for (int i = 0; i < 12; i++)
            {
                double s = 1 / Math.Sqrt(h.Sum(v => v * v) / 5 + 1e-5);
                h = h.Select(v => v + v * s).ToArray();
            }
            h.CopyTo(expected, r * 5);
        }
        for (int i = 0; i < 15; i++) Assert.That(result[i], Is.EqualTo(expected[i]).Within(1e-4 * Math.Abs(expected[i]) + 1e-6));
    }

    [Test]
    public void UnboundInputIsReported()
    {
        using var backend = new CpuBackend();
        var (graph, _, _) = Chain(backend);
        using var executor = new GraphExecutor(backend);
        Assert.That(() => executor.Run(graph, new Dictionary<Value, Tensor>()), Throws.InvalidOperationException.With.Message.Contains("not bound"));
    }

    [Test]
    public void WronglyShapedInputIsReported()
    {
        using var backend = new CpuBackend();
        var (graph, input, _) = Chain(backend);
        using var executor = new GraphExecutor(backend);
        var bad = Tensor.FromFloats(backend, new float[10], 2, 5);
        Assert.That(() => executor.Run(graph, new Dictionary<Value, Tensor> { [input] = bad }),
            Throws.ArgumentException.With.Message.Contains("expects F32[8, 64]"));
    }

    [Test]
    public void AMismatchedOperandIsDescribedWhenTheGraphIsBuilt()
    {
        // The message is formatted only when the check fails; it must still name both operands.
        var g = new ComputeGraph();
        var x = g.Input("x", new Shape(2, 8), DType.F32);
        var w = g.Input("w", new Shape(4, 6), DType.F32);
        Assert.That(() => g.MatMul(x, w, "y"),
            Throws.ArgumentException.With.Message.EqualTo($"weight {w} cannot multiply {x}").And.Message.Contains("F32[4, 6]"));
        Assert.That(() => g.Add(x, g.Input("z", new Shape(2, 7), DType.F32), "sum"),
            Throws.ArgumentException.With.Message.Contains("cannot add %0 x: F32[2, 8] and %2 z: F32[2, 7]"));
    }

    private static Dictionary<Value, (int First, int Last)> Lifetimes(ComputeGraph g)
    {
        var life = new Dictionary<Value, (int First, int Last)>();
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var n = g.Nodes[i];
            if (n.Writes is { } w) life[w] = (i, i);
            foreach (var r in n.Reads)
                if (life.TryGetValue(r, out var l)) life[r] = (l.First, i);
        }
        foreach (var v in g.Values.Where(v => v.IsOutput)) life[v] = (life[v].First, g.Nodes.Count);
        return life;
    }
}
