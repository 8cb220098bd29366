using System.Text;

namespace Clara.Engine.Native.Cuda;

/// <summary>One GPU as the driver numbers it, with the properties the engine plans launches by.</summary>
public sealed unsafe class CudaDevice
{
    private readonly CudaDriver _driver;

    internal CudaDevice(CudaDriver driver, int handle, int ordinal)
    {
        _driver = driver;
        Handle = handle;
        Ordinal = ordinal;
    }

    internal int Handle { get; }
    internal CudaDriver Driver => _driver;
    public int Ordinal { get; }

    public string Name
    {
        get
        {
            byte* buffer = stackalloc byte[256];
            _driver.Check(_driver.Api.cuDeviceGetName(buffer, 256, Handle), "cuDeviceGetName");
            int length = new ReadOnlySpan<byte>(buffer, 256).IndexOf((byte)0);
            return Encoding.UTF8.GetString(buffer, length < 0 ? 256 : length);
        }
    }

    public int GetAttribute(CudaDeviceAttribute attribute)
    {
        int value;
        _driver.Check(_driver.Api.cuDeviceGetAttribute(&value, attribute, Handle), "cuDeviceGetAttribute");
        return value;
    }

    /// <summary>Compute capability as one number, 10·major + minor (90 for an H100).</summary>
    public int ComputeCapability =>
        10 * GetAttribute(CudaDeviceAttribute.ComputeCapabilityMajor) + GetAttribute(CudaDeviceAttribute.ComputeCapabilityMinor);

    public int MultiprocessorCount => GetAttribute(CudaDeviceAttribute.MultiprocessorCount);

    public long TotalMemoryBytes
    {
        get
        {
            nuint bytes;
            _driver.Check(_driver.Api.cuDeviceTotalMem_v2(&bytes, Handle), "cuDeviceTotalMem_v2");
            return (long)bytes;
        }
    }

    /// <summary>Theoretical DRAM bandwidth in bytes/s: two transfers per memory clock across the bus.</summary>
    public double PeakMemoryBandwidth =>
        2.0 * GetAttribute(CudaDeviceAttribute.MemoryClockRateKHz) * 1e3 * GetAttribute(CudaDeviceAttribute.GlobalMemoryBusWidthBits) / 8.0;

    public override string ToString() => $"cuda:{Ordinal}";
}
