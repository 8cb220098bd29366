namespace Clara.Engine.Native.Cuda;

/// <summary>A CUdeviceptr: an address in device memory. A distinct type so it cannot be mixed up with sizes.</summary>
public readonly record struct DevicePointer(ulong Address)
{
    public static DevicePointer Null => default;
    public bool IsNull => Address == 0;

    public static DevicePointer operator +(DevicePointer pointer, long byteOffset) =>
        new(checked((ulong)((long)pointer.Address + byteOffset)));

    public override string ToString() => $"0x{Address:x}";
}
