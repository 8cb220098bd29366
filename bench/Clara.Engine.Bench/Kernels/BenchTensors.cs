using System.Runtime.InteropServices;
using Clara.Engine.Backends;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

/// <summary>Operands for kernel benchmarks: seeded random tensors on a backend, freed together.</summary>
public sealed class BenchTensors(IBackend backend) : IDisposable
{
    private readonly List<Tensor> _owned = [];
    private ulong _key = 0xB5E7C0DE;

    public IBackend Backend { get; } = backend;

    /// <summary>Uniform values with standard deviation <paramref name="std"/>, stored as <paramref name="dtype"/>.</summary>
    public Tensor Random(DType dtype, float std, params int[] dims)
    {
        var shape = new Shape(dims);
        var values = new float[shape.ElementCount];
        RandomWeights.Fill(++_key, 0, std, values);
        var tensor = Own(Tensor.Allocate(Backend, shape, dtype));
        Backend.Upload(Encode(values, dtype), tensor);
        return tensor;
    }

    public Tensor Ints(int[] values, params int[] dims) => Own(Tensor.FromInts(Backend, values, dims));

    public Tensor Zeros(DType dtype, params int[] dims) => Own(Tensor.Allocate(Backend, new Shape(dims), dtype));

    public void Dispose()
    {
        foreach (var t in _owned) t.Buffer.Dispose();
        _owned.Clear();
    }

    private Tensor Own(Tensor t)
    {
        _owned.Add(t);
        return t;
    }

    private static byte[] Encode(float[] values, DType dtype) => dtype switch
    {
        DType.F32 => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        DType.BF16 => MemoryMarshal.AsBytes(values.Select(FloatBits.FloatToBF16).ToArray().AsSpan()).ToArray(),
        DType.F16 => MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray(),
        _ => throw new ArgumentException($"benchmark operands are F32, BF16 or F16, not {dtype}"),
    };
}
