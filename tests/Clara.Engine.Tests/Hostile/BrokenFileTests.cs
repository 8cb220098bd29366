using System.Diagnostics;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Items 7 and 11 (files): FIFOs and unreadable files as inputs, a converted file with a flipped byte, and a
/// modified model that must not share the original's fingerprint.
/// </summary>
[NonParallelizable]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class BrokenFileTests
{
    private HostileScratch _scratch = null!;

    [SetUp]
    public void Create() => _scratch = new HostileScratch();

    [TearDown]
    public void Remove() => _scratch.Dispose();

    private static void MakeFifo(string path)
    {
        File.Delete(path);
        using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.EqualTo(0));
    }

    [TestCase("model.safetensors")]
    [TestCase("config.json")]
    public void FifoInsteadOfAModelFileIsRefusedNotWaitedOn(string name)
    {
        string model = HostileModels.HfDirectory(_scratch, _ => { });
        MakeFifo(Path.Combine(model, name));
        var result = HostileRun.Child(["info", model], timeoutSeconds: 30);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("FIFO").And.Contain(name), result.ToString());
    }

    [Test]
    public void FifoAsDocumentsFileIsRefused()
    {
        string docs = _scratch.File("docs.jsonl");
        MakeFifo(docs);
        var result = HostileRun.Child(["compress", "--model", HostileModels.ClaraDirectory, "--docs", docs, "--out", _scratch.File("m.safetensors")], timeoutSeconds: 30);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("FIFO"), result.ToString());
    }

    [Test]
    public void UnreadableFileIsNotReportedAsMissing()
    {
        if (Environment.UserName == "root") Assert.Ignore("root reads files whatever their mode");
        string model = HostileModels.HfDirectory(_scratch, _ => { });
        File.SetUnixFileMode(Path.Combine(model, "config.json"), UnixFileMode.None);
        var result = HostileRun.InProcess("info", model);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("cannot be read").And.Not.Contain("does not exist"), result.ToString());
    }

    [Test]
    public void ConvertedFileWithAFlippedByteIsRefusedNamingTheTensor()
    {
        string converted = HostileModels.ConvertedClara(_scratch);
        string damaged = HostileModels.WithFlippedByte(converted, _scratch.File("damaged.safetensors"));
        var result = HostileRun.InProcess("info", damaged);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("crc32").And.Contain("damaged.safetensors").And.Contain("CLARA_VERIFY_CHECKSUMS"), result.ToString());

        var saved = EngineFileChecksums.Policy;
        try
        {
            EngineFileChecksums.Policy = ChecksumPolicy.Never;
            Assert.That(HostileRun.InProcess("info", damaged).ExitCode, Is.EqualTo(0), "the switch turns the check off");
        }
        finally
        {
            EngineFileChecksums.Policy = saved;
        }
    }

    [TestCase("model.norm.weight", 1.01f)]
    [TestCase("model.layers.1.mlp.down_proj.weight", 0.5f)]
    public void ModifiedWeightsChangeTheFingerprint(string tensor, float value)
    {
        string original = HostileModels.ClaraCopy(_scratch, "original");
        string modified = HostileModels.ClaraCopy(_scratch, "modified");
        Assert.That(ModelFingerprint.Compute(modified), Is.EqualTo(ModelFingerprint.Compute(original)), "same bytes, same fingerprint");
        HostileModels.FillTensor(Path.Combine(modified, "model.safetensors"), tensor, value);
        Assert.That(ModelFingerprint.Compute(modified), Is.Not.EqualTo(ModelFingerprint.Compute(original)));
    }

    [Test]
    public void ModifiedConvertedFileChangesTheFingerprint()
    {
        string converted = HostileModels.ConvertedClara(_scratch);
        string before = ModelFingerprint.Compute(converted);
        var bytes = File.ReadAllBytes(converted);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(converted, bytes); // a rewrite: new mtime (and usually inode), so the cached digest is not reused
        Assert.That(ModelFingerprint.Compute(converted), Is.Not.EqualTo(before));
    }
}
