using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Native.Loading;
using Clara.Engine.Native.Nvrtc;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// Every export a binding table declares is in the dynamic symbol table of the library found on this
/// machine, read from the ELF file itself (so a misspelt or unversioned name such as cuMemAlloc instead
/// of cuMemAlloc_v2 is caught). Libraries absent here are skipped with the loader's reason.
/// </summary>
public class NativeExportTests
{
    [Test]
    public void NvrtcExportsAreAllPresent()
    {
        NvrtcRequirement.Require();
        var library = NativeLibraryLoader.Load("NVRTC", NativeLibraryNames.Nvrtc);
        AssertExported(library, new NvrtcApi(library).Exports);
    }

    [Test]
    public void CudaDriverExportsAreAllPresent()
    {
        var library = LoadOrIgnore("the CUDA driver", NativeLibraryNames.CudaDriver);
        AssertExported(library, new CudaDriverApi(library).Exports);
    }

    [Test]
    public void CublasExportsAreAllPresent()
    {
        var library = LoadOrIgnore("cuBLAS", NativeLibraryNames.Cublas);
        AssertExported(library, new CublasApi(library).Exports);
    }

    private static LoadedLibrary LoadOrIgnore(string name, IReadOnlyList<string> candidates)
    {
        try
        {
            return NativeLibraryLoader.Load(name, candidates);
        }
        catch (NativeLibraryLoadException e)
        {
            CudaRequirement.Missing($"{name} is not installed here", e.Message);
            throw;
        }
    }

    private static void AssertExported(LoadedLibrary library, IReadOnlyList<string> exports)
    {
        var path = ElfDynamicSymbols.MappedPath(library.FileName);
        if (path is null) Assert.Ignore($"cannot locate the file behind {library.FileName} (no /proc/self/maps)");
        var symbols = ElfDynamicSymbols.Read(path!);
        TestContext.Out.WriteLine($"{library}: {path}, {symbols.Count} dynamic symbols, {exports.Count} bound");
        Assert.That(exports, Is.Not.Empty);
        var missing = exports.Where(e => !symbols.Contains(e)).ToArray();
        Assert.That(missing, Is.Empty, $"{path} does not export: {string.Join(", ", missing)}");
    }
}
