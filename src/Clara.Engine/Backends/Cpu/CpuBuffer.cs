using System.Runtime.InteropServices;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Host memory for the CPU backend: either 64-byte aligned native memory that this buffer owns, or a
/// borrowed region (a memory-mapped weight file) kept alive by <see cref="_keepAlive"/>.
/// </summary>
public sealed unsafe class CpuBuffer : DeviceBuffer
{
    private readonly bool _owned;
    private readonly IDisposable? _keepAlive;

    internal CpuBuffer(CpuBackend backend, long byteLength) : base(backend, byteLength)
    {
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, byteLength), 64);
        NativeMemory.Clear(Pointer, (nuint)Math.Max(1, byteLength));
        _owned = true;
    }

    /// <summary>Wraps memory that someone else owns (zero-copy weights); <paramref name="keepAlive"/> is disposed with this buffer.</summary>
    internal CpuBuffer(CpuBackend backend, byte* pointer, long byteLength, IDisposable? keepAlive) : base(backend, byteLength)
    {
        Pointer = pointer;
        _keepAlive = keepAlive;
    }

    public byte* Pointer { get; private set; }

    protected override void Release()
    {
        if (_owned) NativeMemory.AlignedFree(Pointer);
        _keepAlive?.Dispose();
        Pointer = null;
    }
}
