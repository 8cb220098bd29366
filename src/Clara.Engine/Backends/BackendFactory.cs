using Clara.Engine.Backends.Cpu;
using Clara.Engine.Backends.Cuda;

namespace Clara.Engine.Backends;

/// <summary>Creates a backend from a device name as users write it: "cpu", "cuda" or "cuda:N".</summary>
public static class BackendFactory
{
    public static IBackend Create(string device, int? cpuThreads = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device == "cpu") return new CpuBackend(cpuThreads);
        if (device == "cuda") return CudaBackend.Create();
        if (device.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(device.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ordinal))
            return CudaBackend.Create(ordinal);
        throw new ArgumentException($"unknown device '{device}' (cpu, cuda or cuda:N)");
    }
}
