using Clara.Engine.Backends;
using Clara.Engine.Graph;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>The host-side I32 inputs of one training graph (ids, positions, masks, row lists), uploaded together for a run.</summary>
internal sealed class GraphInputs(ComputeGraph graph) : IDisposable
{
    private readonly List<(Value Value, int[] Data)> _pending = [];
    private readonly List<Tensor> _uploaded = [];

    public Value Add(string name, int[] data, params int[] dims)
    {
        var shape = dims.Length == 0 ? new Shape(data.Length) : new Shape(dims);
        if (shape.ElementCount != data.Length) throw new ArgumentException($"input {name}: {data.Length} values do not fill {shape}");
        var value = graph.Input(name, shape, DType.I32);
        _pending.Add((value, data));
        return value;
    }

    public IReadOnlyDictionary<Value, Tensor> Upload(IBackend backend)
    {
        var bound = new Dictionary<Value, Tensor>();
        foreach (var (value, data) in _pending)
        {
            var t = Tensor.FromInts(backend, data, [.. value.Shape.Dims]);
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
