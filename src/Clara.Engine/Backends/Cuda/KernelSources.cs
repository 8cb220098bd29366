using System.Reflection;
using Clara.Engine.Native.Nvrtc;

namespace Clara.Engine.Backends.Cuda;

/// <summary>One kernel file: its name (e.g. "rmsnorm.cu") and CUDA C++ text.</summary>
public sealed record KernelSource(string FileName, string Text);

/// <summary>
/// The kernels/*.cu files, embedded in this assembly as resources "kernels/&lt;file&gt;" so a single-file
/// publish carries them. clara_prelude.cuh is the only header; it is handed to NVRTC by name.
/// </summary>
public static class KernelSources
{
    public const string PreludeName = "clara_prelude.cuh";
    private const string ResourcePrefix = "kernels/";

    private static readonly Lazy<IReadOnlyList<string>> s_fileNames = new(() =>
        typeof(KernelSources).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".cu", StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToArray());

    private static readonly Lazy<NvrtcHeader[]> s_headers = new(() => [new NvrtcHeader(PreludeName, ReadResource(PreludeName))]);

    /// <summary>Every embedded .cu file, sorted by name.</summary>
    public static IReadOnlyList<string> FileNames => s_fileNames.Value;

    /// <summary>The headers every kernel may include.</summary>
    public static IReadOnlyList<NvrtcHeader> Headers => s_headers.Value;

    public static KernelSource Get(string fileName) => new(fileName, ReadResource(fileName));

    private static string ReadResource(string fileName)
    {
        Assembly assembly = typeof(KernelSources).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourcePrefix + fileName)
            ?? throw new FileNotFoundException($"kernel source {fileName} is not embedded in {assembly.GetName().Name}; known: {string.Join(", ", FileNames)}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
