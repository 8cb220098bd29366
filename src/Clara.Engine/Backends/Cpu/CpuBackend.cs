using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>The reference backend: every CUDA kernel is tested against the kernels here.</summary>
public sealed class CpuBackend : IBackend
{
    public CpuBackend(int? threads = null)
    {
        Threads = Math.Max(1, threads ?? Environment.ProcessorCount);
        Kernels = new CpuKernels(Threads);
    }

    public string Name => "cpu";
    public int Threads { get; }
    public IKernels Kernels { get; }

    public DeviceBuffer Allocate(long byteLength) => new CpuBuffer(this, byteLength);

    /// <summary>Wraps host memory owned elsewhere (a memory-mapped file) without copying.</summary>
    public unsafe DeviceBuffer Wrap(byte* pointer, long byteLength, IDisposable? keepAlive) =>
        new CpuBuffer(this, pointer, byteLength, keepAlive);

    /// <summary>The CPU's kernels read host memory, so a mapped file is used where it lies.</summary>
    public unsafe DeviceBuffer? TryWrapHostMemory(nint address, long byteLength, IDisposable? keepAlive) =>
        Wrap((byte*)address, byteLength, keepAlive);

    public void Upload(ReadOnlySpan<byte> source, Tensor destination)
    {
        if (source.Length != destination.ByteLength)
            throw new ArgumentException($"{source.Length} bytes do not fill {destination}");
        source.CopyTo(CpuTensor.Bytes(destination));
    }

    public void Download(Tensor source, Span<byte> destination)
    {
        if (destination.Length != source.ByteLength)
            throw new ArgumentException($"{destination.Length} bytes do not hold {source}");
        CpuTensor.Bytes(source).CopyTo(destination);
    }

    public void Synchronize() { }
    public void Dispose() { }
}
