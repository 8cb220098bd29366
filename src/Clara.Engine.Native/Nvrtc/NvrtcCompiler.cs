using System.Runtime.InteropServices;
using System.Text;
using Clara.Engine.Native.Loading;

namespace Clara.Engine.Native.Nvrtc;

/// <summary>What NVRTC should produce: machine code for one GPU, or PTX the driver compiles at load time.</summary>
public enum NvrtcOutputKind
{
    /// <summary>SASS for exactly one architecture (-arch=sm_XY).</summary>
    Cubin,

    /// <summary>PTX for a virtual architecture (-arch=compute_XY); runs on that architecture and newer via the driver's JIT.</summary>
    Ptx,
}

/// <summary>A named header the program may #include "name".</summary>
public sealed record NvrtcHeader(string Name, string Source);

/// <summary>A compiled image and the compiler's (possibly empty) log of warnings.</summary>
public sealed record NvrtcOutput(byte[] Image, NvrtcOutputKind Kind, int Architecture, string Log);

/// <summary>
/// The process's NVRTC: compiles CUDA C++ source to CUBIN or PTX. Stateless apart from the loaded
/// library, so one instance serves every thread.
/// </summary>
public sealed unsafe class NvrtcCompiler
{
    private static readonly Lazy<NvrtcCompiler> s_instance = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly NvrtcApi _api;

    private NvrtcCompiler(NvrtcApi api)
    {
        _api = api;
        int major, minor;
        Check(_api.nvrtcVersion(&major, &minor), "nvrtcVersion", "(none)");
        Version = new Version(major, minor);
        int count;
        Check(_api.nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs", "(none)");
        var archs = new int[count];
        fixed (int* data = archs) Check(_api.nvrtcGetSupportedArchs(data), "nvrtcGetSupportedArchs", "(none)");
        SupportedArchitectures = archs;
    }

    /// <summary>The loaded NVRTC; throws <see cref="NativeLibraryLoadException"/> when none can be loaded.</summary>
    public static NvrtcCompiler Instance => s_instance.Value;

    /// <summary>NVRTC, or null with the loader's reason.</summary>
    public static NvrtcCompiler? TryGet(out string reason)
    {
        try
        {
            reason = "";
            return s_instance.Value;
        }
        catch (Exception e) when (e is NativeLibraryLoadException or MissingNativeExportException or NvrtcException)
        {
            reason = e.Message;
            return null;
        }
    }

    internal NvrtcApi Api => _api;
    public LoadedLibrary Library => _api.Library;
    public Version Version { get; }

    /// <summary>The sm_XY numbers this NVRTC can emit machine code for (e.g. 35…90 for 11.8).</summary>
    public IReadOnlyList<int> SupportedArchitectures { get; }

    /// <summary>
    /// Compiles <paramref name="source"/> for <paramref name="architecture"/> (e.g. 90). <paramref name="options"/>
    /// must not contain -arch: it follows from <paramref name="kind"/> and <paramref name="architecture"/>.
    /// Throws <see cref="NvrtcException"/> with the compile log when compilation fails.
    /// </summary>
    public NvrtcOutput Compile(string programName, string source, IReadOnlyList<NvrtcHeader> headers,
        IReadOnlyList<string> options, NvrtcOutputKind kind, int architecture)
    {
        string arch = kind == NvrtcOutputKind.Cubin ? $"-arch=sm_{architecture}" : $"-arch=compute_{architecture}";
        using var program = CreateProgram(programName, source, headers);
        using var arguments = new NativeUtf8Strings([arch, .. options]);
        NvrtcResult compiled = _api.nvrtcCompileProgram(program.DangerousGetHandle(), arguments.Count, arguments.Pointers);
        string log = ReadLog(program, programName);
        Check(compiled, "nvrtcCompileProgram", programName, log);
        byte[] image = kind == NvrtcOutputKind.Cubin ? ReadCubin(program, programName) : ReadPtx(program, programName);
        return new NvrtcOutput(image, kind, architecture, log);
    }

    private NvrtcProgram CreateProgram(string programName, string source, IReadOnlyList<NvrtcHeader> headers)
    {
        using var text = new NativeUtf8Strings([source, programName]);
        using var headerSources = new NativeUtf8Strings(headers.Select(h => h.Source).ToArray());
        using var headerNames = new NativeUtf8Strings(headers.Select(h => h.Name).ToArray());
        nint program;
        Check(_api.nvrtcCreateProgram(&program, text.Pointers[0], text.Pointers[1], headers.Count,
            headerSources.Pointers, headerNames.Pointers), "nvrtcCreateProgram", programName);
        return new NvrtcProgram(_api, program);
    }

    private string ReadLog(NvrtcProgram program, string programName)
    {
        nuint size;
        Check(_api.nvrtcGetProgramLogSize(program.DangerousGetHandle(), &size), "nvrtcGetProgramLogSize", programName);
        if (size <= 1) return "";
        var log = new byte[size];
        fixed (byte* data = log) Check(_api.nvrtcGetProgramLog(program.DangerousGetHandle(), data), "nvrtcGetProgramLog", programName);
        return Encoding.UTF8.GetString(log, 0, (int)size - 1);
    }

    private byte[] ReadCubin(NvrtcProgram program, string programName)
    {
        nuint size;
        Check(_api.nvrtcGetCUBINSize(program.DangerousGetHandle(), &size), "nvrtcGetCUBINSize", programName);
        var image = new byte[size];
        fixed (byte* data = image) Check(_api.nvrtcGetCUBIN(program.DangerousGetHandle(), data), "nvrtcGetCUBIN", programName);
        return image;
    }

    /// <summary>The PTX text including its terminating NUL, which cuModuleLoadData requires.</summary>
    private byte[] ReadPtx(NvrtcProgram program, string programName)
    {
        nuint size;
        Check(_api.nvrtcGetPTXSize(program.DangerousGetHandle(), &size), "nvrtcGetPTXSize", programName);
        var image = new byte[size];
        fixed (byte* data = image) Check(_api.nvrtcGetPTX(program.DangerousGetHandle(), data), "nvrtcGetPTX", programName);
        return image;
    }

    private void Check(NvrtcResult result, string call, string programName, string log = "")
    {
        if (result != NvrtcResult.Success)
            throw new NvrtcException(call, result, ResultName(result), programName, log);
    }

    private string ResultName(NvrtcResult result) =>
        Marshal.PtrToStringUTF8((nint)_api.nvrtcGetErrorString(result)) ?? result.ToString();

    private static NvrtcCompiler Load() =>
        new(new NvrtcApi(NativeLibraryLoader.Load("NVRTC", NativeLibraryNames.Nvrtc)));
}

/// <summary>An nvrtcProgram, destroyed with nvrtcDestroyProgram.</summary>
internal sealed unsafe class NvrtcProgram : SafeHandle
{
    private readonly NvrtcApi _api;

    public NvrtcProgram(NvrtcApi api, nint program) : base(0, ownsHandle: true)
    {
        _api = api;
        SetHandle(program);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        nint program = handle;
        return _api.nvrtcDestroyProgram(&program) == NvrtcResult.Success;
    }
}

/// <summary>NUL-terminated UTF-8 copies of strings in native memory plus an array of pointers to them (a C char**).</summary>
internal sealed unsafe class NativeUtf8Strings : IDisposable
{
    private readonly nint[] _strings;
    private byte** _pointers;

    public NativeUtf8Strings(IReadOnlyList<string> values)
    {
        _strings = new nint[values.Count];
        _pointers = (byte**)NativeMemory.Alloc((nuint)Math.Max(1, values.Count), (nuint)sizeof(byte*));
        for (int i = 0; i < values.Count; i++)
        {
            _strings[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
            _pointers[i] = (byte*)_strings[i];
        }
    }

    public int Count => _strings.Length;
    public byte** Pointers => _pointers;

    public void Dispose()
    {
        foreach (var s in _strings) Marshal.FreeCoTaskMem(s);
        NativeMemory.Free(_pointers);
        _pointers = null;
    }
}
