using Clara.Engine.Native.Nvrtc;

namespace Clara.Engine.Backends.Cuda;

/// <summary>A kernel file compiled for one device: CUBIN (or PTX), where it came from, and NVRTC's warnings.</summary>
public sealed record CompiledKernel(string FileName, byte[] Image, NvrtcOutputKind Kind, int Architecture, bool FromCache, string Log);

/// <summary>
/// Compiles kernel files with NVRTC for a device's architecture. Machine code (CUBIN, -arch=sm_XY) when
/// this NVRTC knows the architecture; otherwise PTX for the newest virtual architecture it knows below
/// it, which the driver compiles when loading (how an old NVRTC still serves a new GPU).
/// </summary>
public sealed class KernelCompiler(NvrtcCompiler nvrtc, KernelCache cache)
{
    /// <summary>No fast math: the kernels must agree with the CPU twins to a few ulps.</summary>
    public static IReadOnlyList<string> Options { get; } = ["-std=c++17"];

    public NvrtcCompiler Nvrtc { get; } = nvrtc;
    public KernelCache Cache { get; } = cache;

    /// <summary>The image kind and architecture used for a device of compute capability <paramref name="deviceArchitecture"/> (e.g. 90).</summary>
    public (NvrtcOutputKind Kind, int Architecture) TargetFor(int deviceArchitecture)
    {
        if (Nvrtc.SupportedArchitectures.Contains(deviceArchitecture)) return (NvrtcOutputKind.Cubin, deviceArchitecture);
        var older = Nvrtc.SupportedArchitectures.Where(a => a < deviceArchitecture).ToArray();
        if (older.Length == 0)
            throw new NotSupportedException(
                $"NVRTC {Nvrtc.Version} ({Nvrtc.Library.FileName}) cannot compile for sm_{deviceArchitecture} or any older architecture; it supports {string.Join(", ", Nvrtc.SupportedArchitectures)}");
        return (NvrtcOutputKind.Ptx, older.Max());
    }

    /// <summary>Compiles (or fetches from the cache) <paramref name="source"/> for a device of compute capability <paramref name="deviceArchitecture"/>.</summary>
    public CompiledKernel Compile(KernelSource source, int deviceArchitecture, bool useCache = true)
    {
        var (kind, architecture) = TargetFor(deviceArchitecture);
        return Compile(source, kind, architecture, useCache);
    }

    /// <summary>Compiles for an explicit target (the compile-everything tests use this without a GPU).</summary>
    public CompiledKernel Compile(KernelSource source, NvrtcOutputKind kind, int architecture, bool useCache = true)
    {
        var headers = KernelSources.Headers;
        string key = KernelCache.Key(source, headers, Options, Nvrtc.Version, kind, architecture);
        string? path = useCache ? Cache.PathFor(source, key, kind, architecture) : null;
        var cached = Cache.TryRead(path);
        if (cached is { Length: > 0 }) return new CompiledKernel(source.FileName, cached, kind, architecture, FromCache: true, Log: "");

        var output = Nvrtc.Compile(source.FileName, source.Text, headers, Options, kind, architecture);
        if (useCache) Cache.TryWrite(Cache.PathFor(source, key, kind, architecture), output.Image);
        return new CompiledKernel(source.FileName, output.Image, kind, architecture, FromCache: false, output.Log);
    }

    /// <summary>Drops a cached image that the driver refused to load, so the next compile starts fresh.</summary>
    public void Forget(KernelSource source, NvrtcOutputKind kind, int architecture)
    {
        string key = KernelCache.Key(source, KernelSources.Headers, Options, Nvrtc.Version, kind, architecture);
        Cache.TryDelete(Cache.PathFor(source, key, kind, architecture));
    }
}
