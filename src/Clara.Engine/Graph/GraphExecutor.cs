using Clara.Engine.Backends;

namespace Clara.Engine.Graph;

/// <summary>
/// Runs graphs on one backend. Intermediates live in a single arena that grows to the largest plan seen and is
/// reused by every later run, so steady-state decoding allocates nothing.
/// </summary>
public sealed class GraphExecutor(IBackend backend) : IDisposable
{
    private DeviceBuffer? _arena;

    public IBackend Backend { get; } = backend;

    /// <summary>
    /// Runs every node in order. The returned binding resolves outputs; their tensors are views of the arena and
    /// stay valid until the next run.
    /// </summary>
    public IValueBinding Run(ComputeGraph graph, IReadOnlyDictionary<Value, Tensor> inputs, BufferPlan? plan = null)
    {
        plan ??= BufferPlan.Create(graph);
        if (plan.ValueCount != graph.Values.Count)
            throw new ArgumentException($"the plan was made for a graph of {plan.ValueCount} values, this one has {graph.Values.Count}");
        if (_arena is null || _arena.ByteLength < plan.ArenaBytes)
        {
            _arena?.Dispose();
            _arena = Backend.Allocate(Math.Max(BufferPlan.Alignment, plan.ArenaBytes));
        }
        var binding = new Binding(_arena, plan, inputs);
        foreach (var node in graph.Nodes)
            node.Execute(Backend.Kernels, binding);
        return binding;
    }

    public void Dispose()
    {
        _arena?.Dispose();
        _arena = null;
    }

    private sealed class Binding(DeviceBuffer arena, BufferPlan plan, IReadOnlyDictionary<Value, Tensor> inputs) : IValueBinding
    {
        // By value id (ids are the graph's value indices): a decode step looks views up a few hundred times.
        private readonly Tensor?[] _views = new Tensor?[plan.ValueCount];

        public Tensor this[Value value]
        {
            get
            {
                if (_views[value.Id] is { } t) return t;
                t = value.AliasOf is { } aliased ? this[aliased].Reshape([.. value.Shape.Dims]) : value.Kind switch
                {
                    ValueKind.External or ValueKind.Parameter => value.Bound!,
                    ValueKind.Input => inputs.TryGetValue(value, out var bound)
                        ? Checked(value, bound)
                        : throw new InvalidOperationException($"graph input {value} was not bound"),
                    _ => new Tensor(arena, plan.OffsetOf(value), value.Shape, value.DType),
                };
                _views[value.Id] = t;
                return t;
            }
        }

        private static Tensor Checked(Value value, Tensor bound)
        {
            if (!bound.Shape.Equals(value.Shape) || bound.DType != value.DType)
                throw new ArgumentException($"input {value.Name} expects {value.DType}{value.Shape}, got {bound.DType}{bound.Shape}");
            return bound;
        }
    }
}
