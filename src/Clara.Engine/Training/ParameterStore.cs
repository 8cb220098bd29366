using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>A trainable tensor: its value, gradient and AdamW moments are views into its store's flat buffers.</summary>
public sealed class Parameter
{
    internal Parameter(string name, Shape shape, long offset, Tensor value, Tensor gradient, Tensor expAvg, Tensor expAvgSq)
    {
        Name = name;
        Shape = shape;
        Offset = offset;
        Value = value;
        Gradient = gradient;
        ExpAvg = expAvg;
        ExpAvgSq = expAvgSq;
    }

    /// <summary>The name it is saved under (<c>adapter/PEFT name</c>, or the HF name of a base weight).</summary>
    public string Name { get; }
    public Shape Shape { get; }

    /// <summary>Its first element's index in the store's flat buffers.</summary>
    public long Offset { get; }
    public Tensor Value { get; }
    public Tensor Gradient { get; }
    public Tensor ExpAvg { get; }
    public Tensor ExpAvgSq { get; }
}

/// <summary>
/// Every trainable tensor of a model in four flat F32 buffers on one backend (values, gradients, AdamW first and second
/// moments), so zeroing gradients, the global norm and the optimizer step are one launch each over the whole set, and
/// nothing of it lives in a graph's per-run arena.
/// </summary>
public sealed class ParameterStore : IDisposable
{
    private readonly List<Parameter> _parameters = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly DeviceBuffer[] _buffers;

    public ParameterStore(IBackend backend, IEnumerable<(string Name, Shape Shape)> layout)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
        var entries = layout.ToList();
        long total = 0;
        foreach (var (name, shape) in entries)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("a parameter needs a name");
            total = checked(total + shape.ElementCount);
        }
        if (total == 0) throw new ArgumentException("a parameter store needs at least one trainable element");
        ElementCount = total;
        var flat = new Shape(checked((int)total));
        _buffers = new DeviceBuffer[4];
        var tensors = new Tensor[4];
        try
        {
            for (int i = 0; i < 4; i++)
            {
                tensors[i] = Tensor.Allocate(backend, flat, DType.F32);
                _buffers[i] = tensors[i].Buffer;
                backend.Kernels.Fill(tensors[i], 0f);
            }
        }
        catch
        {
            foreach (var b in _buffers) b?.Dispose();
            throw;
        }
        (Values, Gradients, ExpAvg, ExpAvgSq) = (tensors[0], tensors[1], tensors[2], tensors[3]);

        long offset = 0;
        foreach (var (name, shape) in entries)
        {
            if (_byName.ContainsKey(name)) throw new ArgumentException($"parameter '{name}' is listed twice");
            Tensor View(Tensor whole) => new(whole.Buffer, offset * sizeof(float), shape, DType.F32);
            var p = new Parameter(name, shape, offset, View(Values), View(Gradients), View(ExpAvg), View(ExpAvgSq));
            _parameters.Add(p);
            _byName[name] = p;
            offset += shape.ElementCount;
        }
    }

    public IBackend Backend { get; }
    public IReadOnlyList<Parameter> Parameters => _parameters;
    public long ElementCount { get; }

    /// <summary>All values, flat [ElementCount].</summary>
    public Tensor Values { get; }
    public Tensor Gradients { get; }
    public Tensor ExpAvg { get; }
    public Tensor ExpAvgSq { get; }

    public Parameter this[string name] =>
        _byName.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"no trainable parameter '{name}'");

    public bool TryGet(string name, out Parameter parameter) => _byName.TryGetValue(name, out parameter!);

    public void ZeroGradients() => Backend.Kernels.Fill(Gradients, 0f);

    public void Dispose()
    {
        foreach (var b in _buffers) b?.Dispose();
    }
}
