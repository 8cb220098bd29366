using System.Runtime.InteropServices;
using System.Text;
using Clara.Engine.Native.Loading;

namespace Clara.Engine.Native.Cuda;

/// <summary>
/// The process's CUDA driver: libcuda loaded, its exports bound and cuInit called, once. A failure to
/// load or initialise is remembered and rethrown to every caller (the state of the machine does not
/// change while the process runs).
/// </summary>
public sealed unsafe class CudaDriver
{
    private static readonly Lazy<CudaDriver> s_instance = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly DeviceFaultState[] _faults;

    private CudaDriver(CudaDriverApi api, int version, int deviceCount)
    {
        Api = api;
        Version = version;
        DeviceCount = deviceCount;
        _faults = new DeviceFaultState[deviceCount];
        for (int i = 0; i < deviceCount; i++) _faults[i] = new DeviceFaultState(i);
    }

    /// <summary>The loaded driver; throws <see cref="NativeLibraryLoadException"/> or <see cref="CudaException"/> when there is none.</summary>
    public static CudaDriver Instance => s_instance.Value;

    /// <summary>The driver, or null with the reason (the loader's or cuInit's message) when there is none.</summary>
    public static CudaDriver? TryGet(out string reason)
    {
        try
        {
            var driver = s_instance.Value;
            reason = "";
            return driver;
        }
        catch (Exception e) when (e is NativeLibraryLoadException or MissingNativeExportException or CudaException)
        {
            reason = e.Message;
            return null;
        }
    }

    internal CudaDriverApi Api { get; }

    public LoadedLibrary Library => Api.Library;

    /// <summary>cuDriverGetVersion: 1000·major + 10·minor, e.g. 13000 for CUDA 13.0.</summary>
    public int Version { get; }

    public int DeviceCount { get; }

    public CudaDevice GetDevice(int ordinal)
    {
        if (ordinal < 0 || ordinal >= DeviceCount)
            throw new ArgumentOutOfRangeException(nameof(ordinal), $"CUDA device {ordinal} does not exist; {DeviceCount} device(s) present");
        int handle;
        Check(Api.cuDeviceGet(&handle, ordinal), "cuDeviceGet");
        return new CudaDevice(this, handle, ordinal);
    }

    internal DeviceFaultState FaultStateOf(int ordinal) => _faults[ordinal];

    /// <summary>Throws a <see cref="CudaException"/> for a failed context-free call (device queries, initialisation).</summary>
    internal void Check(CuResult result, string call)
    {
        if (result != CuResult.Success) throw new CudaException(call, result, Describe(result));
    }

    /// <summary>"CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access was encountered".</summary>
    internal string Describe(CuResult result) => DescribeWith(Api, result);

    private static string DescribeWith(CudaDriverApi api, CuResult result)
    {
        byte* name = null, text = null;
        string nameText = api.cuGetErrorName(result, &name) == CuResult.Success && name != null
            ? Marshal.PtrToStringUTF8((nint)name) ?? result.FallbackName()
            : result.FallbackName();
        var description = new StringBuilder(nameText).Append(" (").Append((int)result).Append(')');
        if (api.cuGetErrorString(result, &text) == CuResult.Success && text != null)
            description.Append(": ").Append(Marshal.PtrToStringUTF8((nint)text));
        return description.ToString();
    }

    private static CudaDriver Load()
    {
        var library = NativeLibraryLoader.Load("the CUDA driver", NativeLibraryNames.CudaDriver);
        var api = new CudaDriverApi(library);
        CuResult init = api.cuInit(0);
        if (init != CuResult.Success)
            throw new CudaException("cuInit", init, DescribeWith(api, init));
        int version, count;
        CuResult status = api.cuDriverGetVersion(&version);
        if (status != CuResult.Success) throw new CudaException("cuDriverGetVersion", status, DescribeWith(api, status));
        status = api.cuDeviceGetCount(&count);
        if (status != CuResult.Success) throw new CudaException("cuDeviceGetCount", status, DescribeWith(api, status));
        return new CudaDriver(api, version, count);
    }
}
