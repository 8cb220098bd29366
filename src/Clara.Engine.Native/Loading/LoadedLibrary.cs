using System.Runtime.InteropServices;

namespace Clara.Engine.Native.Loading;

/// <summary>
/// A native library loaded for the rest of the process. CUDA libraries are never unloaded: their
/// function pointers live in process-wide binding tables and the driver does not support reloading.
/// </summary>
public sealed class LoadedLibrary
{
    internal LoadedLibrary(string library, string fileName, nint handle)
    {
        Library = library;
        FileName = fileName;
        Handle = handle;
    }

    /// <summary>What the library is, e.g. "NVRTC".</summary>
    public string Library { get; }

    /// <summary>The candidate name that loaded, e.g. "libnvrtc.so.11.2".</summary>
    public string FileName { get; }

    public nint Handle { get; }

    /// <summary>Starts resolving a binding table's exports; see <see cref="ExportResolver"/>.</summary>
    public ExportResolver Exports() => new(this);

    public override string ToString() => $"{Library} ({FileName})";
}

/// <summary>
/// Resolves a binding table's exports one by one and collects the missing ones, so a too-old library
/// is reported with every symbol it lacks instead of only the first.
/// </summary>
public sealed class ExportResolver
{
    private readonly LoadedLibrary _library;
    private readonly List<string> _requested = [];
    private readonly List<string> _missing = [];

    internal ExportResolver(LoadedLibrary library) => _library = library;

    /// <summary>The address of <paramref name="symbol"/>, or zero (recorded as missing) when absent.</summary>
    public nint Require(string symbol)
    {
        _requested.Add(symbol);
        if (NativeLibrary.TryGetExport(_library.Handle, symbol, out var address)) return address;
        _missing.Add(symbol);
        return 0;
    }

    /// <summary>Every symbol asked for so far, in order.</summary>
    public IReadOnlyList<string> Requested => _requested;

    public void ThrowIfAnyMissing()
    {
        if (_missing.Count > 0) throw new MissingNativeExportException(_library, _missing);
    }
}

/// <summary>A loaded library lacks exports a binding table needs (usually: the library is too old).</summary>
public sealed class MissingNativeExportException(LoadedLibrary library, IReadOnlyList<string> missing)
    : EntryPointNotFoundException($"{library} lacks {missing.Count} export(s): {string.Join(", ", missing)}")
{
    public IReadOnlyList<string> Missing { get; } = missing;
}
