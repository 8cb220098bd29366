using Clara.Engine.Backends;
using Clara.Engine.Graph;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>
/// The host-side inputs of one training graph (I32 ids, positions, masks and row lists; F32 values computed outside the
/// graph, such as a frozen compressor's memories), uploaded together for a run.
/// </summary>
internal sealed class GraphInputs(ComputeGraph graph) : IDisposable
{
    private readonly List<(Value Value, Func<IBackend, int[], Tensor> Create)> _pending = [];
    private readonly List<Tensor> _uploaded = [];

    public Value Add(string name, int[] data, params int[] dims) =>
        Add(name, DType.I32, data.Length, dims, (backend, shape) => Tensor.FromInts(backend, data, shape));

    public Value AddFloats(string name, float[] data, params int[] dims) =>
        Add(name, DType.F32, data.Length, dims, (backend, shape) => Tensor.FromFloats(backend, data, shape));

    private Value Add(string name, DType type, int length, int[] dims, Func<IBackend, int[], Tensor> create)
    {
        var shape = dims.Length == 0 ? new Shape(length) : new Shape(dims);
        if (shape.ElementCount != length) throw new ArgumentException($"input {name}: {length} values do not fill {shape}");
        var value = graph.Input(name, shape, type);
        _pending.Add((value, create));
        return value;
    }

    public IReadOnlyDictionary<Value, Tensor> Upload(IBackend backend)
    {
        var bound = new Dictionary<Value, Tensor>();
        foreach (var (value, create) in _pending)
        {
            var t = create(backend, [.. value.Shape.Dims]);
            _uploaded.Add(t);
            bound[value] = t;
        }
        return bound;
    }

    public void Dispose()
    {
        foreach (var t in _uploaded) t.Buffer.Dispose();
        _uploaded.Clear();
    }
}
