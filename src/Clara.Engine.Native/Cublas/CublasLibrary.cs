using Clara.Engine.Native.Loading;

namespace Clara.Engine.Native.Cublas;

/// <summary>The process's cuBLAS, loaded once; failures are remembered like the driver's.</summary>
public static class CublasLibrary
{
    private static readonly Lazy<CublasApi> s_api = new(
        () => new CublasApi(NativeLibraryLoader.Load("cuBLAS", NativeLibraryNames.Cublas)),
        LazyThreadSafetyMode.ExecutionAndPublication);

    internal static CublasApi Api => s_api.Value;

    /// <summary>Loads cuBLAS now; throws <see cref="NativeLibraryLoadException"/> when it cannot be loaded.</summary>
    public static LoadedLibrary Load() => s_api.Value.Library;
}
