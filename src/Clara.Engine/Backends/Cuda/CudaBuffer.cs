using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Device memory owned by a <see cref="CudaBackend"/>.</summary>
public sealed class CudaBuffer : DeviceBuffer
{
    private readonly DeviceMemory _memory;

    internal CudaBuffer(CudaBackend backend, DeviceMemory memory, long byteLength) : base(backend, byteLength)
    {
        _memory = memory;
    }

    internal DevicePointer Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return _memory.Pointer;
        }
    }

    protected override void Release() => _memory.Dispose();
}
