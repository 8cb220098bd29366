using Clara.Engine.Native.Loading;

namespace Clara.Engine.Native.Cuda;

/// <summary>
/// The CUDA driver API entry points the engine uses, resolved once from libcuda. Versioned names
/// (cuMemAlloc_v2, …) are the symbols cuda.h's macros expand to; the unversioned ones are the
/// legacy ABI that 64-bit code must not call. Handles are opaque pointers (nint); CUdeviceptr is a
/// 64-bit integer (ulong); CUdevice is an int.
/// </summary>
internal sealed unsafe class CudaDriverApi
{
    public CudaDriverApi(LoadedLibrary library)
    {
        Library = library;
        var e = library.Exports();
        cuInit = (delegate* unmanaged<uint, CuResult>)e.Require("cuInit");
        cuDriverGetVersion = (delegate* unmanaged<int*, CuResult>)e.Require("cuDriverGetVersion");
        cuGetErrorName = (delegate* unmanaged<CuResult, byte**, CuResult>)e.Require("cuGetErrorName");
        cuGetErrorString = (delegate* unmanaged<CuResult, byte**, CuResult>)e.Require("cuGetErrorString");

        cuDeviceGetCount = (delegate* unmanaged<int*, CuResult>)e.Require("cuDeviceGetCount");
        cuDeviceGet = (delegate* unmanaged<int*, int, CuResult>)e.Require("cuDeviceGet");
        cuDeviceGetName = (delegate* unmanaged<byte*, int, int, CuResult>)e.Require("cuDeviceGetName");
        cuDeviceGetAttribute = (delegate* unmanaged<int*, CudaDeviceAttribute, int, CuResult>)e.Require("cuDeviceGetAttribute");
        cuDeviceTotalMem_v2 = (delegate* unmanaged<nuint*, int, CuResult>)e.Require("cuDeviceTotalMem_v2");

        cuDevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, CuResult>)e.Require("cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease_v2 = (delegate* unmanaged<int, CuResult>)e.Require("cuDevicePrimaryCtxRelease_v2");
        cuCtxPushCurrent_v2 = (delegate* unmanaged<nint, CuResult>)e.Require("cuCtxPushCurrent_v2");
        cuCtxPopCurrent_v2 = (delegate* unmanaged<nint*, CuResult>)e.Require("cuCtxPopCurrent_v2");
        cuCtxSynchronize = (delegate* unmanaged<CuResult>)e.Require("cuCtxSynchronize");

        cuMemGetInfo_v2 = (delegate* unmanaged<nuint*, nuint*, CuResult>)e.Require("cuMemGetInfo_v2");
        cuMemAlloc_v2 = (delegate* unmanaged<ulong*, nuint, CuResult>)e.Require("cuMemAlloc_v2");
        cuMemFree_v2 = (delegate* unmanaged<ulong, CuResult>)e.Require("cuMemFree_v2");
        cuMemcpyHtoDAsync_v2 = (delegate* unmanaged<ulong, void*, nuint, nint, CuResult>)e.Require("cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync_v2 = (delegate* unmanaged<void*, ulong, nuint, nint, CuResult>)e.Require("cuMemcpyDtoHAsync_v2");
        cuMemcpyDtoDAsync_v2 = (delegate* unmanaged<ulong, ulong, nuint, nint, CuResult>)e.Require("cuMemcpyDtoDAsync_v2");
        cuMemsetD8Async = (delegate* unmanaged<ulong, byte, nuint, nint, CuResult>)e.Require("cuMemsetD8Async");

        cuModuleLoadData = (delegate* unmanaged<nint*, void*, CuResult>)e.Require("cuModuleLoadData");
        cuModuleUnload = (delegate* unmanaged<nint, CuResult>)e.Require("cuModuleUnload");
        cuModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, CuResult>)e.Require("cuModuleGetFunction");
        cuFuncGetAttribute = (delegate* unmanaged<int*, CudaFunctionAttribute, nint, CuResult>)e.Require("cuFuncGetAttribute");
        cuFuncSetAttribute = (delegate* unmanaged<nint, CudaFunctionAttribute, int, CuResult>)e.Require("cuFuncSetAttribute");
        cuLaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, CuResult>)e.Require("cuLaunchKernel");

        cuStreamCreate = (delegate* unmanaged<nint*, uint, CuResult>)e.Require("cuStreamCreate");
        cuStreamDestroy_v2 = (delegate* unmanaged<nint, CuResult>)e.Require("cuStreamDestroy_v2");
        cuStreamSynchronize = (delegate* unmanaged<nint, CuResult>)e.Require("cuStreamSynchronize");

        cuEventCreate = (delegate* unmanaged<nint*, uint, CuResult>)e.Require("cuEventCreate");
        cuEventDestroy_v2 = (delegate* unmanaged<nint, CuResult>)e.Require("cuEventDestroy_v2");
        cuEventRecord = (delegate* unmanaged<nint, nint, CuResult>)e.Require("cuEventRecord");
        cuEventSynchronize = (delegate* unmanaged<nint, CuResult>)e.Require("cuEventSynchronize");
        cuEventElapsedTime = (delegate* unmanaged<float*, nint, nint, CuResult>)e.Require("cuEventElapsedTime");

        cuStreamBeginCapture_v2 = (delegate* unmanaged<nint, StreamCaptureMode, CuResult>)e.Require("cuStreamBeginCapture_v2");
        cuStreamEndCapture = (delegate* unmanaged<nint, nint*, CuResult>)e.Require("cuStreamEndCapture");
        cuGraphInstantiateWithFlags = (delegate* unmanaged<nint*, nint, ulong, CuResult>)e.Require("cuGraphInstantiateWithFlags");
        cuGraphLaunch = (delegate* unmanaged<nint, nint, CuResult>)e.Require("cuGraphLaunch");
        cuGraphExecDestroy = (delegate* unmanaged<nint, CuResult>)e.Require("cuGraphExecDestroy");
        cuGraphDestroy = (delegate* unmanaged<nint, CuResult>)e.Require("cuGraphDestroy");

        Exports = e.Requested;
        e.ThrowIfAnyMissing();
    }

    public LoadedLibrary Library { get; }

    /// <summary>Every symbol this table binds, for the export tests.</summary>
    public IReadOnlyList<string> Exports { get; }

#pragma warning disable IDE1006 // the fields carry the exact C symbol names so they can be grepped against cuda.h
    public readonly delegate* unmanaged<uint, CuResult> cuInit;
    public readonly delegate* unmanaged<int*, CuResult> cuDriverGetVersion;
    public readonly delegate* unmanaged<CuResult, byte**, CuResult> cuGetErrorName;
    public readonly delegate* unmanaged<CuResult, byte**, CuResult> cuGetErrorString;

    public readonly delegate* unmanaged<int*, CuResult> cuDeviceGetCount;
    public readonly delegate* unmanaged<int*, int, CuResult> cuDeviceGet;
    public readonly delegate* unmanaged<byte*, int, int, CuResult> cuDeviceGetName;
    public readonly delegate* unmanaged<int*, CudaDeviceAttribute, int, CuResult> cuDeviceGetAttribute;
    public readonly delegate* unmanaged<nuint*, int, CuResult> cuDeviceTotalMem_v2;

    public readonly delegate* unmanaged<nint*, int, CuResult> cuDevicePrimaryCtxRetain;
    public readonly delegate* unmanaged<int, CuResult> cuDevicePrimaryCtxRelease_v2;
    public readonly delegate* unmanaged<nint, CuResult> cuCtxPushCurrent_v2;
    public readonly delegate* unmanaged<nint*, CuResult> cuCtxPopCurrent_v2;
    public readonly delegate* unmanaged<CuResult> cuCtxSynchronize;

    public readonly delegate* unmanaged<nuint*, nuint*, CuResult> cuMemGetInfo_v2;
    public readonly delegate* unmanaged<ulong*, nuint, CuResult> cuMemAlloc_v2;
    public readonly delegate* unmanaged<ulong, CuResult> cuMemFree_v2;
    public readonly delegate* unmanaged<ulong, void*, nuint, nint, CuResult> cuMemcpyHtoDAsync_v2;
    public readonly delegate* unmanaged<void*, ulong, nuint, nint, CuResult> cuMemcpyDtoHAsync_v2;
    public readonly delegate* unmanaged<ulong, ulong, nuint, nint, CuResult> cuMemcpyDtoDAsync_v2;
    public readonly delegate* unmanaged<ulong, byte, nuint, nint, CuResult> cuMemsetD8Async;

    public readonly delegate* unmanaged<nint*, void*, CuResult> cuModuleLoadData;
    public readonly delegate* unmanaged<nint, CuResult> cuModuleUnload;
    public readonly delegate* unmanaged<nint*, nint, byte*, CuResult> cuModuleGetFunction;
    public readonly delegate* unmanaged<int*, CudaFunctionAttribute, nint, CuResult> cuFuncGetAttribute;
    public readonly delegate* unmanaged<nint, CudaFunctionAttribute, int, CuResult> cuFuncSetAttribute;
    public readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, CuResult> cuLaunchKernel;

    public readonly delegate* unmanaged<nint*, uint, CuResult> cuStreamCreate;
    public readonly delegate* unmanaged<nint, CuResult> cuStreamDestroy_v2;
    public readonly delegate* unmanaged<nint, CuResult> cuStreamSynchronize;

    public readonly delegate* unmanaged<nint*, uint, CuResult> cuEventCreate;
    public readonly delegate* unmanaged<nint, CuResult> cuEventDestroy_v2;
    public readonly delegate* unmanaged<nint, nint, CuResult> cuEventRecord;
    public readonly delegate* unmanaged<nint, CuResult> cuEventSynchronize;
    public readonly delegate* unmanaged<float*, nint, nint, CuResult> cuEventElapsedTime;

    public readonly delegate* unmanaged<nint, StreamCaptureMode, CuResult> cuStreamBeginCapture_v2;
    public readonly delegate* unmanaged<nint, nint*, CuResult> cuStreamEndCapture;
    public readonly delegate* unmanaged<nint*, nint, ulong, CuResult> cuGraphInstantiateWithFlags;
    public readonly delegate* unmanaged<nint, nint, CuResult> cuGraphLaunch;
    public readonly delegate* unmanaged<nint, CuResult> cuGraphExecDestroy;
    public readonly delegate* unmanaged<nint, CuResult> cuGraphDestroy;
#pragma warning restore IDE1006
}
