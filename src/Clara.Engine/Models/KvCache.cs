using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>
/// Keys and values of every block for a batch of sequences, [batch, capacity, kvHeads·headDim] each, plus the
/// key mask that hides left padding. Filled left to right: prefill appends many positions, decode one.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly int[] _mask;
    private readonly List<DeviceBuffer> _buffers = [];

    public KvCache(IBackend backend, ModelConfig config, int batch, int capacity)
    {
        if (batch <= 0 || capacity <= 0) throw new ArgumentException($"a KV cache needs a positive batch and capacity, got {batch}×{capacity}");
        Backend = backend;
        Batch = batch;
        Capacity = capacity;
        var shape = new Shape(batch, capacity, config.KvWidth);
        Keys = new Tensor[config.Layers];
        Values = new Tensor[config.Layers];
        for (int i = 0; i < config.Layers; i++)
        {
            Keys[i] = Own(Tensor.Allocate(backend, shape, DType.F32));
            Values[i] = Own(Tensor.Allocate(backend, shape, DType.F32));
        }
        KeyMask = Own(Tensor.Allocate(backend, new Shape(batch, capacity), DType.I32));
        _mask = new int[batch * capacity];
    }

    public IBackend Backend { get; }
    public int Batch { get; }
    public int Capacity { get; }
    public int Length { get; private set; }
    public Tensor[] Keys { get; }
    public Tensor[] Values { get; }
    public Tensor KeyMask { get; }

    /// <summary>
    /// Reserves the next <paramref name="count"/> positions of every sequence and records which are real tokens
    /// (<paramref name="attend"/> is [batch, count], non-zero = attend). Returns the first reserved position.
    /// </summary>
    public int Reserve(int count, ReadOnlySpan<int> attend)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), "reserve at least one position");
        if (Length + count > Capacity)
            throw new InvalidOperationException($"the KV cache holds {Capacity} positions; {Length} are used and {count} more were asked for");
        if (attend.Length != Batch * count) throw new ArgumentException($"attend mask has {attend.Length} entries, expected {Batch}×{count}");
        for (int b = 0; b < Batch; b++)
            for (int t = 0; t < count; t++)
                _mask[b * Capacity + Length + t] = attend[b * count + t] != 0 ? 1 : 0;
        Backend.Upload(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_mask.AsSpan()), KeyMask);
        int start = Length;
        Length += count;
        return start;
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
        _buffers.Clear();
    }

    private Tensor Own(Tensor t)
    {
        _buffers.Add(t.Buffer);
        return t;
    }
}
