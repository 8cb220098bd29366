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
}
