namespace Clara.Engine.Native.Cuda;

/// <summary>One cuMemAlloc allocation, freed with cuMemFree when disposed or finalised.</summary>
public sealed class DeviceMemory : ContextBoundHandle
{
    internal DeviceMemory(CudaContext context, ulong address, long byteLength) : base(context, (nint)address)
    {
        ByteLength = byteLength;
    }

    public long ByteLength { get; }

    public DevicePointer Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return new DevicePointer((ulong)handle);
        }
    }

    private protected override unsafe CuResult Free(CudaDriverApi api, nint value) => api.cuMemFree_v2((ulong)value);

    public override string ToString() => $"{ByteLength} bytes at 0x{(ulong)handle:x} on {Context.Device}";
}
