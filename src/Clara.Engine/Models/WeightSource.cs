using System.Diagnostics.CodeAnalysis;
using Clara.Engine.Backends;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>
/// Named tensors in one or more memory-mapped safetensors files, moved onto a backend on request. On the CPU
/// the tensor is the mapped file itself (no copy); elsewhere it is uploaded once.
/// </summary>
internal sealed class WeightSource : IDisposable
{
    private readonly Func<string, (SafetensorsFile File, SafetensorsEntry Entry)?> _lookup;
    private readonly IDisposable _owner;

    private WeightSource(string description, IEnumerable<string> names, Func<string, (SafetensorsFile, SafetensorsEntry)?> lookup, IDisposable owner,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        Description = description;
        Metadata = metadata ?? new Dictionary<string, string>();
        Names = names.ToHashSet(StringComparer.Ordinal);
        _lookup = lookup;
        _owner = owner;
    }

    public string Description { get; }
    public IReadOnlySet<string> Names { get; }

    /// <summary>The safetensors metadata of a single-file source (empty for checkpoints).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static WeightSource OpenCheckpoint(string directory)
    {
        var checkpoint = ShardedCheckpoint.Open(directory);
        return new WeightSource(directory, checkpoint.Names,
            name => checkpoint.TryGet(name, out var f, out var e) ? (f, e) : null, checkpoint);
    }

    public static WeightSource OpenFile(string path)
    {
        var file = SafetensorsFile.Open(path);
        return new WeightSource(path, file.Tensors.Select(t => t.Name), name => file.TryGet(name, out var e) ? (file, e) : null, file, file.Metadata);
    }

    public bool TryGetEntry(string name, [NotNullWhen(true)] out SafetensorsEntry? entry)
    {
        entry = _lookup(name)?.Entry;
        return entry is not null;
    }

    /// <summary>
    /// Places a tensor on <paramref name="backend"/>. CPU tensors borrow the mapping, so this source must outlive them;
    /// the buffer is added to <paramref name="owned"/> either way.
    /// </summary>
    public unsafe Tensor Load(string name, IBackend backend, List<IDisposable> owned)
    {
        var (file, entry) = _lookup(name) ?? throw new KeyNotFoundException($"{Description}: tensor {name} is missing");
        var values = LoadBuffer(file, entry, backend, owned);
        if (entry.DType != DType.I8) return new Tensor(values, 0, entry.Shape, entry.DType);
        // I8 weights are Q8_0 values; their scales are a tensor of their own (both stay mapped on the CPU).
        string scalesName = Q8Blocks.ScalesName(name);
        if (!Names.Contains(scalesName)) throw new InvalidDataException($"{Description}: tensor {name} is I8 (Q8_0 values) but its scales {scalesName} are missing");
        var scales = Load(scalesName, backend, owned);
        try
        {
            return Tensor.Quantized(values, 0, entry.Shape, scales);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Description}: {e.Message}", e);
        }
    }

    private static unsafe DeviceBuffer LoadBuffer(SafetensorsFile file, SafetensorsEntry entry, IBackend backend, List<IDisposable> owned)
    {
        var mapped = backend.TryWrapHostMemory((nint)file.GetPointer(entry), entry.ByteLength, keepAlive: null);
        var buffer = mapped ?? backend.Allocate(Math.Max(1, entry.ByteLength));
        owned.Add(buffer);
        if (mapped is null) backend.Upload(file.GetBytes(entry), new Tensor(buffer, 0, entry.Shape, entry.DType));
        return buffer;
    }

    public void Dispose() => _owner.Dispose();
}
