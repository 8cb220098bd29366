using Clara.Engine.Native.Loading;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>The loader tries every candidate and, when all fail, says which names it tried and why each failed.</summary>
public class NativeLibraryLoaderTests
{
    [Test]
    public void AnAbsentLibraryIsReportedWithEveryNameTriedAndEachError()
    {
        string[] candidates = ["libdefinitely-not-there.so.1", "libdefinitely-not-there.so", "libalso-absent.so.13"];

        var ex = Assert.Throws<NativeLibraryLoadException>(() => NativeLibraryLoader.Load("the test library", candidates));

        Assert.That(ex!.Message, Does.StartWith("could not load the test library; tried 3 file name(s):"));
        Assert.That(ex.Attempts.Select(a => a.FileName), Is.EqualTo(candidates));
        foreach (var attempt in ex.Attempts)
        {
            Assert.That(ex.Message, Does.Contain($"\n  {attempt.FileName}: "), "each candidate on its own line");
            Assert.That(attempt.Error, Does.Contain(attempt.FileName), "the loader's error names the file");
        }
    }

    [Test]
    public void TheFirstCandidateThatLoadsWins()
    {
        var library = NativeLibraryLoader.Load("libc", ["libdefinitely-not-there.so.1", "libc.so.6", "libm.so.6"]);

        Assert.That(library.FileName, Is.EqualTo("libc.so.6"));
        Assert.That(library.Handle, Is.Not.EqualTo(IntPtr.Zero));
    }

    [Test]
    public void MissingExportsAreCollectedAndReportedTogether()
    {
        var library = NativeLibraryLoader.Load("libc", ["libc.so.6"]);
        var exports = library.Exports();

        nint malloc = exports.Require("malloc");
        exports.Require("clara_no_such_symbol_a");
        exports.Require("clara_no_such_symbol_b");
        var ex = Assert.Throws<MissingNativeExportException>(exports.ThrowIfAnyMissing);

        Assert.That(malloc, Is.Not.EqualTo(IntPtr.Zero));
        Assert.That(ex!.Missing, Is.EqualTo(new[] { "clara_no_such_symbol_a", "clara_no_such_symbol_b" }));
        Assert.That(ex.Message, Does.Contain("libc (libc.so.6) lacks 2 export(s)"));
        Assert.That(exports.Requested, Is.EqualTo(new[] { "malloc", "clara_no_such_symbol_a", "clara_no_such_symbol_b" }));
    }

    [Test]
    public void NvrtcAndCublasAreAlsoLookedForInTheToolkitFolders()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("the toolkit folders are the Linux layout");
        string[] folders = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"];

        foreach (var (sonames, candidates) in new[]
                 {
                     (NativeLibraryNames.NvrtcSonames, NativeLibraryNames.Nvrtc),
                     (NativeLibraryNames.CublasSonames, NativeLibraryNames.Cublas),
                 })
        {
            Assert.That(candidates.Take(sonames.Count), Is.EqualTo(sonames), "bare sonames first, so ld.so's own search still wins");
            foreach (var folder in folders)
            foreach (var soname in sonames)
                Assert.That(candidates, Does.Contain($"{folder}/{soname}"));
        }
    }

    [Test]
    public void CudaHomeComesBeforeTheDefaultFoldersAndNothingIsTriedTwice()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("the toolkit folders are the Linux layout");

        Assert.That(CudaToolkitDirectories.For("/opt/cuda-13.0/"),
            Is.EqualTo(new[] { "/opt/cuda-13.0/lib64", "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib" }));
        Assert.That(CudaToolkitDirectories.For("/usr/local/cuda"),
            Is.EqualTo(new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib" }));
        Assert.That(CudaToolkitDirectories.For(null),
            Is.EqualTo(new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib" }));
    }

    [Test]
    public void ALibraryOnlyInAToolkitFolderIsFoundAndEveryFailedAttemptIsListed()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("copies a Linux shared object");
        var home = Directory.CreateTempSubdirectory("clara-cuda-home-");
        try
        {
            // A real shared object under a name the loader cannot find by soname: only the folder finds it.
            var lib64 = Directory.CreateDirectory(Path.Combine(home.FullName, "lib64"));
            var libm = ElfDynamicSymbols.MappedPath("libm.so.6") ?? "/lib/x86_64-linux-gnu/libm.so.6";
            if (!File.Exists(libm)) Assert.Ignore("libm.so.6 not found to copy");
            File.Copy(libm, Path.Combine(lib64.FullName, "libclara-test-toolkit.so.1"));
            string[] sonames = ["libclara-test-toolkit.so.2", "libclara-test-toolkit.so.1"];

            var found = NativeLibraryLoader.Load("the test toolkit library",
                CudaToolkitDirectories.Candidates(sonames, CudaToolkitDirectories.For(home.FullName)));
            Assert.That(found.FileName, Is.EqualTo(Path.Combine(lib64.FullName, "libclara-test-toolkit.so.1")));

            var candidates = CudaToolkitDirectories.Candidates(["libclara-test-absent.so.1"], CudaToolkitDirectories.For(home.FullName));
            var ex = Assert.Throws<NativeLibraryLoadException>(() => NativeLibraryLoader.Load("the absent library", candidates));
            Assert.That(ex!.Attempts.Select(a => a.FileName), Is.EqualTo(new[]
            {
                "libclara-test-absent.so.1",
                Path.Combine(lib64.FullName, "libclara-test-absent.so.1"),
                "/usr/local/cuda/lib64/libclara-test-absent.so.1",
                "/usr/local/cuda/targets/x86_64-linux/lib/libclara-test-absent.so.1",
            }));
            foreach (var attempt in ex.Attempts) Assert.That(ex.Message, Does.Contain($"\n  {attempt.FileName}: "));
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }
}
