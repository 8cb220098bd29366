using Clara.Engine.Native.Loading;

namespace Clara.Engine.Native.Nvrtc;

/// <summary>The NVRTC entry points the engine uses. nvrtcProgram is an opaque pointer (nint).</summary>
internal sealed unsafe class NvrtcApi
{
    public NvrtcApi(LoadedLibrary library)
    {
        Library = library;
        var e = library.Exports();
        nvrtcVersion = (delegate* unmanaged<int*, int*, NvrtcResult>)e.Require("nvrtcVersion");
        nvrtcGetErrorString = (delegate* unmanaged<NvrtcResult, byte*>)e.Require("nvrtcGetErrorString");
        nvrtcGetNumSupportedArchs = (delegate* unmanaged<int*, NvrtcResult>)e.Require("nvrtcGetNumSupportedArchs");
        nvrtcGetSupportedArchs = (delegate* unmanaged<int*, NvrtcResult>)e.Require("nvrtcGetSupportedArchs");
        nvrtcCreateProgram = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, NvrtcResult>)e.Require("nvrtcCreateProgram");
        nvrtcDestroyProgram = (delegate* unmanaged<nint*, NvrtcResult>)e.Require("nvrtcDestroyProgram");
        nvrtcCompileProgram = (delegate* unmanaged<nint, int, byte**, NvrtcResult>)e.Require("nvrtcCompileProgram");
        nvrtcGetProgramLogSize = (delegate* unmanaged<nint, nuint*, NvrtcResult>)e.Require("nvrtcGetProgramLogSize");
        nvrtcGetProgramLog = (delegate* unmanaged<nint, byte*, NvrtcResult>)e.Require("nvrtcGetProgramLog");
        nvrtcGetPTXSize = (delegate* unmanaged<nint, nuint*, NvrtcResult>)e.Require("nvrtcGetPTXSize");
        nvrtcGetPTX = (delegate* unmanaged<nint, byte*, NvrtcResult>)e.Require("nvrtcGetPTX");
        nvrtcGetCUBINSize = (delegate* unmanaged<nint, nuint*, NvrtcResult>)e.Require("nvrtcGetCUBINSize");
        nvrtcGetCUBIN = (delegate* unmanaged<nint, byte*, NvrtcResult>)e.Require("nvrtcGetCUBIN");
        Exports = e.Requested;
        e.ThrowIfAnyMissing();
    }

    public LoadedLibrary Library { get; }
    public IReadOnlyList<string> Exports { get; }

#pragma warning disable IDE1006 // exact C symbol names
    public readonly delegate* unmanaged<int*, int*, NvrtcResult> nvrtcVersion;
    public readonly delegate* unmanaged<NvrtcResult, byte*> nvrtcGetErrorString;
    public readonly delegate* unmanaged<int*, NvrtcResult> nvrtcGetNumSupportedArchs;
    public readonly delegate* unmanaged<int*, NvrtcResult> nvrtcGetSupportedArchs;
    public readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, NvrtcResult> nvrtcCreateProgram;
    public readonly delegate* unmanaged<nint*, NvrtcResult> nvrtcDestroyProgram;
    public readonly delegate* unmanaged<nint, int, byte**, NvrtcResult> nvrtcCompileProgram;
    public readonly delegate* unmanaged<nint, nuint*, NvrtcResult> nvrtcGetProgramLogSize;
    public readonly delegate* unmanaged<nint, byte*, NvrtcResult> nvrtcGetProgramLog;
    public readonly delegate* unmanaged<nint, nuint*, NvrtcResult> nvrtcGetPTXSize;
    public readonly delegate* unmanaged<nint, byte*, NvrtcResult> nvrtcGetPTX;
    public readonly delegate* unmanaged<nint, nuint*, NvrtcResult> nvrtcGetCUBINSize;
    public readonly delegate* unmanaged<nint, byte*, NvrtcResult> nvrtcGetCUBIN;
#pragma warning restore IDE1006
}

/// <summary>nvrtcResult.</summary>
public enum NvrtcResult
{
    Success = 0,
    OutOfMemory = 1,
    ProgramCreationFailure = 2,
    InvalidInput = 3,
    InvalidProgram = 4,
    InvalidOption = 5,
    Compilation = 6,
    BuiltinOperationFailure = 7,
    InternalError = 11,
}
