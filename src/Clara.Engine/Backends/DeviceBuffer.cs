namespace Clara.Engine.Backends;

/// <summary>A block of memory owned by one backend (host memory for the CPU, device memory for CUDA).</summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(IBackend backend, long byteLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteLength);
        Backend = backend;
        ByteLength = byteLength;
    }

    public IBackend Backend { get; }
    public long ByteLength { get; }
    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}
