using System.Diagnostics;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Items 2 and 8: an output path that is not a regular file is refused before any work and left as it was; a
/// symbolic link is followed (it stays a link); an existing file keeps its mode; leftovers of killed runs are
/// removed by the next run, which says so.
/// </summary>
[NonParallelizable]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class OutputPathTests
{
    private HostileScratch _scratch = null!;

    [SetUp]
    public void Create() => _scratch = new HostileScratch();

    [TearDown]
    public void Remove() => _scratch.Dispose();

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.EqualTo(0), $"{program} {string.Join(' ', args)}");
    }

    private string Convert(string output) =>
        HostileRun.InProcess("convert", HostileModels.ClaraDirectory, "--out", output, "--dtype", "f32", "--quiet") is var r && r.ExitCode == 0
            ? r.Stdout : throw new AssertionException(r.ToString());

    private static IEnumerable<TestCaseData> SpecialFiles()
    {
        yield return new TestCaseData("fifo", new[] { "mkfifo" }, "FIFO").SetName("Fifo");
        // The same device numbers as /dev/null, made in the scratch directory (needs root, as mknod does).
        yield return new TestCaseData("device", new[] { "mknod", "c", "1", "3" }, "character device").SetName("CharacterDevice");
        yield return new TestCaseData("dir", new[] { "mkdir" }, "directory").SetName("Directory");
    }

    [TestCaseSource(nameof(SpecialFiles))]
    public void ConverterRefusesASpecialFileBeforeAnyWork(string name, string[] make, string kind)
    {
        string output = _scratch.File(name);
        if (make[0] == "mknod" && Environment.UserName != "root") Assert.Ignore("mknod needs root");
        Run(make[0], [output, .. make.Skip(1)]);
        var before = OutputPathState.Of(output);

        var result = HostileRun.InProcess("convert", HostileModels.ClaraDirectory, "--out", output, "--quiet");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain(kind).And.Contain(name), result.ToString());
        Assert.That(result.Stdout, Does.Not.Contain("input "), "refused before the inputs were read");
        OutputPathState.AssertUnchanged(output, before);
    }

    [Test]
    public void CompressRefusesAFifoBeforeLoadingTheModel()
    {
        string output = _scratch.File("memory.fifo");
        Run("mkfifo", output);
        string docs = _scratch.WriteText("docs.jsonl", "{\"id\": \"a\", \"ids\": [1, 2, 3]}\n");
        var before = OutputPathState.Of(output);
        var result = HostileRun.InProcess("compress", "--model", _scratch.File("no-such-model"), "--docs", docs, "--out", output);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("FIFO"), "the output is checked before the model is loaded: " + result);
        OutputPathState.AssertUnchanged(output, before);
    }

    [Test]
    public void SymbolicLinkIsFollowedAndStaysALink()
    {
        string real = _scratch.WriteText("real.safetensors", "old");
        string link = _scratch.File("link.safetensors");
        File.CreateSymbolicLink(link, real);
        Convert(link);
        Assert.That(new FileInfo(link).LinkTarget, Is.EqualTo(real), "still a link");
        Assert.That(new FileInfo(real).Length, Is.GreaterThan(1000), "the file it points to got the output");
    }

    [Test]
    public void ExistingFileKeepsItsMode()
    {
        string output = _scratch.WriteText("out.safetensors", "old");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Convert(output);
        Assert.That(File.GetUnixFileMode(output), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
    }

    [Test]
    public void MissingOutputDirectoryIsRefusedBeforeAnyWork()
    {
        var result = HostileRun.InProcess("convert", HostileModels.ClaraDirectory, "--out", _scratch.File("no/such/dir/out.safetensors"), "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("does not exist"), result.ToString());
        Assert.That(result.Stdout, Does.Not.Contain("input "), "refused before the inputs were read");
    }

    [Test]
    public void LeftoversOfAKilledConversionAreRemovedAndReported()
    {
        // A pid that is not running: the kernel's pid_max is at most 2^22.
        const int deadPid = 4_194_304 + 17;
        string output = _scratch.File("out.safetensors");
        string staleFile = $"{output}.tmp-{deadPid}-{Guid.NewGuid():N}";
        File.WriteAllText(staleFile, "half a conversion");
        string directoryTarget = _scratch.File("clara-dir");
        string staleDirectory = $"{directoryTarget}.tmp-{deadPid}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(staleDirectory);
        // A leftover of a run still going (this process) must survive.
        string live = $"{output}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        File.WriteAllText(live, "in progress");

        string stdout = Convert(output);
        Assert.That(File.Exists(staleFile), Is.False);
        Assert.That(stdout, Does.Contain(Path.GetFileName(staleFile)));
        Assert.That(File.Exists(live), Is.True);

        var result = HostileRun.InProcess("convert", HostileModels.ClaraDirectory, "--to-dir", directoryTarget, "--dtype", "f32", "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(Directory.Exists(staleDirectory), Is.False);
        Assert.That(result.Stdout, Does.Contain(Path.GetFileName(staleDirectory)));
    }

    [Test]
    public void KilledConversionLeavesAFileTheNextRunRemoves()
    {
        // kill -9 in the middle of writing: started as a child, killed once its temporary file appears.
        string output = _scratch.File("big.safetensors");
        string cli = Path.Combine(TestContext.CurrentContext.TestDirectory, "clara.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "convert", "--bench-synthetic", "--bench-mb", "64", "--bench-tensors", "2", "--bench-dir", _scratch.Path])
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        Assume.That(File.Exists(cli));
        using var process = Process.Start(start)!;
        var clock = Stopwatch.StartNew();
        string? temporary = null;
        while (temporary is null && clock.Elapsed.TotalSeconds < 60 && !process.HasExited)
        {
            temporary = Directory.GetFileSystemEntries(_scratch.Path, "*.tmp-*").FirstOrDefault();
            Thread.Sleep(20);
        }
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        Assume.That(temporary, Is.Not.Null, "the synthetic conversion finished before it could be killed");
        string leftover = Path.GetFileName(temporary!);
        string name = leftover[..leftover.IndexOf(".tmp-", StringComparison.Ordinal)];

        var removed = global::Clara.Engine.IO.TemporaryNames.RemoveStale(_scratch.Path, name);
        Assert.That(removed.Select(Path.GetFileName), Does.Contain(leftover));
        Assert.That(Directory.GetFileSystemEntries(_scratch.Path, "*.tmp-*"), Is.Empty);
    }
}
