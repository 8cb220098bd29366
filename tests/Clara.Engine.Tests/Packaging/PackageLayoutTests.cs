using System.Diagnostics;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Packaging;

/// <summary>
/// `dotnet pack` of the solution makes exactly the three packages of docs/packages.md, each depending on what its
/// name promises and nothing more: the core on neither Npgsql nor Microsoft.Extensions.AI, the AI package on the
/// abstractions, the store on Npgsql. A new dependency fails here until the package table says so too.
/// </summary>
[TestFixture]
public class PackageLayoutTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private string _output = null!;
    private Dictionary<string, PackedPackage> _packages = null!;

    [OneTimeSetUp]
    public void Pack()
    {
        _output = Path.Combine(Path.GetTempPath(), "clara-pack-" + Guid.NewGuid().ToString("N"));
        // --no-build: the test run has just built these projects; packing them is seconds, building them minutes.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Fixtures.RepositoryRoot };
        foreach (var arg in new[] { "pack", "Clara.Engine.sln", "-c", Configuration, "--no-build", "--nologo", "-o", _output })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("dotnet pack ran past 5 minutes");
        }
        Assert.That(process.ExitCode, Is.EqualTo(0), $"dotnet pack failed:\n{stdout.Result}\n{stderr.Result}");
        _packages = Directory.GetFiles(_output, "*.nupkg").Select(PackedPackage.Read).ToDictionary(p => p.Id);
    }

    [OneTimeTearDown]
    public void Remove()
    {
        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
    }

    [Test]
    public void TheSolutionPacksExactlyTheThreeLibraries() =>
        Assert.That(_packages.Keys, Is.EquivalentTo(new[] { "Clara.Engine", "Clara.Engine.AI", "Clara.Engine.Postgres" }));

    [Test]
    public void TheCoreDependsOnNeitherTheStoreNorTheAiAbstractions()
    {
        var core = _packages["Clara.Engine"];
        Assert.That(core.Dependencies.Keys, Is.EquivalentTo(new[] { "System.Numerics.Tensors", "Microsoft.ML.Tokenizers", "System.IO.Hashing" }));
        // The CUDA bindings are part of the core, not a package of their own that a user would have to find.
        Assert.That(core.Files, Is.SupersetOf(new[] { "lib/net10.0/Clara.Engine.dll", "lib/net10.0/Clara.Engine.Native.dll" }));
    }

    [Test]
    public void TheAiPackageAddsOnlyTheMicrosoftExtensionsAiAbstractions() =>
        Assert.That(_packages["Clara.Engine.AI"].Dependencies.Keys, Is.EquivalentTo(new[] { "Clara.Engine", "Microsoft.Extensions.AI.Abstractions" }));

    [Test]
    public void ThePostgresPackageAddsOnlyNpgsql() =>
        Assert.That(_packages["Clara.Engine.Postgres"].Dependencies.Keys, Is.EquivalentTo(new[] { "Clara.Engine", "Npgsql" }));

    [Test]
    public void ThePackagesDependOnTheCoreOfTheirOwnVersion()
    {
        var core = _packages["Clara.Engine"];
        foreach (var id in new[] { "Clara.Engine.AI", "Clara.Engine.Postgres" })
            Assert.That(_packages[id].Dependencies["Clara.Engine"], Is.EqualTo(core.Version), id);
    }

    [Test]
    public void EveryPackageCarriesItsMetadataAndReadme()
    {
        foreach (var package in _packages.Values)
        {
            Assert.That(package.Metadata.GetValueOrDefault("description"), Is.Not.Empty, package.Id);
            Assert.That(package.Metadata.GetValueOrDefault("license"), Is.Not.Empty, package.Id);
            Assert.That(package.Metadata.GetValueOrDefault("readme"), Is.EqualTo("README.md"), package.Id);
            Assert.That(package.Files, Does.Contain("README.md"), package.Id);
            Assert.That(package.Repository?.Attribute("type")?.Value, Is.EqualTo("git"), package.Id);
        }
    }
}
