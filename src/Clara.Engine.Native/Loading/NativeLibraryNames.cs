namespace Clara.Engine.Native.Loading;

/// <summary>
/// The file names under which each native library may be installed, newest first. We load by soname
/// so the dynamic loader's own search (ld.so.cache, LD_LIBRARY_PATH) finds whatever the machine has:
/// the GPU machines ship CUDA 13, the CI machine Debian's NVRTC 11.x. NVRTC and cuBLAS are also
/// looked for in the CUDA toolkit's own folders (<see cref="CudaToolkitDirectories"/>), which the
/// loader's search does not cover when a toolkit was unpacked rather than installed as a package.
/// </summary>
public static class NativeLibraryNames
{
    public static IReadOnlyList<string> CudaDriver { get; } = OperatingSystem.IsWindows()
        ? ["nvcuda.dll"]
        : ["libcuda.so.1", "libcuda.so"];

    public static IReadOnlyList<string> NvrtcSonames { get; } = OperatingSystem.IsWindows()
        ? ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"]
        : ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];

    public static IReadOnlyList<string> CublasSonames { get; } = OperatingSystem.IsWindows()
        ? ["cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"]
        : ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"];

    /// <summary>Every NVRTC candidate: the sonames, then each in each toolkit folder (read from CUDA_HOME once).</summary>
    public static IReadOnlyList<string> Nvrtc { get; } =
        CudaToolkitDirectories.Candidates(NvrtcSonames, CudaToolkitDirectories.FromEnvironment());

    /// <summary>Every cuBLAS candidate, in the same order as <see cref="Nvrtc"/>.</summary>
    public static IReadOnlyList<string> Cublas { get; } =
        CudaToolkitDirectories.Candidates(CublasSonames, CudaToolkitDirectories.FromEnvironment());
}
