namespace Clara.Engine.Native.Loading;

/// <summary>
/// The folders a CUDA toolkit installs its libraries into. NVIDIA's runfile and container images put
/// NVRTC and cuBLAS there without registering them with ld.so.cache, so a bare soname is not found
/// unless LD_LIBRARY_PATH was set; the driver (libcuda) is not searched here, it lives with the driver.
/// </summary>
public static class CudaToolkitDirectories
{
    /// <summary>$CUDA_HOME/lib64 (when set), /usr/local/cuda/lib64, /usr/local/cuda/targets/x86_64-linux/lib, without repeats.</summary>
    public static IReadOnlyList<string> For(string? cudaHome)
    {
        if (OperatingSystem.IsWindows()) return [];
        var directories = new List<string>(3);
        if (!string.IsNullOrWhiteSpace(cudaHome)) directories.Add(Path.Combine(cudaHome.Trim(), "lib64"));
        directories.Add("/usr/local/cuda/lib64");
        directories.Add("/usr/local/cuda/targets/x86_64-linux/lib");
        return directories.Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary><see cref="For"/> with this process's CUDA_HOME.</summary>
    public static IReadOnlyList<string> FromEnvironment() => For(Environment.GetEnvironmentVariable("CUDA_HOME"));

    /// <summary>
    /// Every soname bare first (the loader's own search wins, as before), then each soname in each
    /// folder, so the error of a failed load lists every place that was tried.
    /// </summary>
    public static IReadOnlyList<string> Candidates(IReadOnlyList<string> sonames, IReadOnlyList<string> directories)
    {
        var candidates = new List<string>(sonames.Count * (directories.Count + 1));
        candidates.AddRange(sonames);
        foreach (var directory in directories)
            candidates.AddRange(sonames.Select(soname => Path.Combine(directory, soname)));
        return candidates;
    }
}
