using System.Security.Cryptography;
using System.Text;
using Clara.Engine.Native.Nvrtc;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// Compiled kernel images on disk, so a process compiles each kernel file once per machine instead of
/// once per start (NVRTC takes about a second per file). The key hashes everything that changes the
/// image: source, headers, options, NVRTC version, output kind and architecture. The cache is an
/// optimisation only: when the directory cannot be written the compiler just compiles.
/// </summary>
public sealed class KernelCache
{
    /// <summary>Bump when the way images are produced changes without any hashed input changing.</summary>
    private const string FormatVersion = "clara-kernel-cache-1";

    public KernelCache(string? directory) => Directory = directory;

    /// <summary>$CLARA_KERNEL_CACHE, else $XDG_CACHE_HOME/clara/kernels, else ~/.cache/clara/kernels.</summary>
    public static KernelCache Default()
    {
        var configured = Environment.GetEnvironmentVariable("CLARA_KERNEL_CACHE");
        if (!string.IsNullOrEmpty(configured)) return new KernelCache(configured);
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return new KernelCache(Path.Combine(xdg, "clara", "kernels"));
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new KernelCache(string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "clara", "kernels"));
    }

    /// <summary>Where images are kept; null disables caching.</summary>
    public string? Directory { get; }

    public static string Key(KernelSource source, IReadOnlyList<NvrtcHeader> headers, IReadOnlyList<string> options,
        Version nvrtcVersion, NvrtcOutputKind kind, int architecture)
    {
        var text = new StringBuilder()
            .Append(FormatVersion).Append('\0')
            .Append(source.FileName).Append('\0').Append(source.Text).Append('\0');
        foreach (var header in headers) text.Append(header.Name).Append('\0').Append(header.Source).Append('\0');
        foreach (var option in options) text.Append(option).Append('\0');
        text.Append(nvrtcVersion).Append('\0').Append(kind).Append('\0').Append(architecture);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public string? PathFor(KernelSource source, string key, NvrtcOutputKind kind, int architecture) =>
        Directory is null ? null : Path.Combine(Directory,
            $"{Path.GetFileNameWithoutExtension(source.FileName)}-{(kind == NvrtcOutputKind.Cubin ? "sm" : "compute")}_{architecture}-{key[..16]}.{(kind == NvrtcOutputKind.Cubin ? "cubin" : "ptx")}");

    public byte[]? TryRead(string? path)
    {
        if (path is null) return null;
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes through a temporary file and a rename, so a reader never sees half an image.</summary>
    public void TryWrite(string? path, byte[] image)
    {
        if (path is null) return;
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(temporary, image);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
        }
    }

    public void TryDelete(string? path)
    {
        if (path is null) return;
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
