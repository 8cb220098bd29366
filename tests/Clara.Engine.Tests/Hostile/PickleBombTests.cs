using Clara.Convert.Pickle;
using Clara.Convert.Torch;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Item 1: small torch.save files that used to overflow the stack, eat gigabytes or hang the converter. Each is a
/// genuine torch.save zip; the converter must refuse it with exit 1, naming the limit, within a memory bound,
/// and leave the output path as it was.
/// </summary>
[NonParallelizable]
public class PickleBombTests
{
    private const long PeakRssBound = 400L << 20;
    private HostileScratch _scratch = null!;

    [SetUp]
    public void Create() => _scratch = new HostileScratch();

    [TearDown]
    public void Remove() => _scratch.Dispose();

    private static string Config => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "checkpoint-forms", "config.json");

    // 80 02 29 + 85 x 1e6 + 2e: a tuple inside a tuple, a million deep.
    private static byte[] DeepTuple() => new PickleBytes().Proto().EmptyTuple().Repeat(1_000_000, 0x85).Stop().ToArray();

    // The same tuple used as a dict key: {deep: None}.
    private static byte[] DeepTupleKey() => new PickleBytes().Proto().EmptyDict().EmptyTuple().Repeat(1_000_000, 0x85).Raw((byte)'N').SetItem().Stop().ToArray();

    // 80 02 29 + (71 00 68 00 86) x 80 + 2e: t = (t, t) eighty times through the memo: 2^80 leaves in 404 bytes.
    private static byte[] MemoDoubling() => new PickleBytes().Proto().EmptyTuple().Repeat(80, 0x71, 0x00, 0x68, 0x00, 0x86).Stop().ToArray();

    private static byte[] MemoDoublingKey() =>
        new PickleBytes().Proto().EmptyDict().EmptyTuple().Repeat(80, 0x71, 0x00, 0x68, 0x00, 0x86).Raw((byte)'N').SetItem().Stop().ToArray();

    private static IEnumerable<TestCaseData> Bombs()
    {
        yield return new TestCaseData((Func<byte[]>)DeepTuple, "MaxNestingDepth").SetName("DeepTuple");
        yield return new TestCaseData((Func<byte[]>)DeepTupleKey, "MaxNestingDepth").SetName("DeepTupleAsDictKey");
        yield return new TestCaseData((Func<byte[]>)MemoDoubling, "MaxUnfoldedTupleSize").SetName("MemoDoubling");
        yield return new TestCaseData((Func<byte[]>)MemoDoublingKey, "MaxUnfoldedTupleSize").SetName("MemoDoublingAsDictKey");
        yield return new TestCaseData((Func<byte[]>)(() => PickleBytes.OneTensorStateDict("model.norm.weight", 16, 0, [1L << 40, 1L << 40], [1, 1])),
            "overflows").SetName("TensorSizeOverflow");
        yield return new TestCaseData((Func<byte[]>)(() => PickleBytes.OneTensorStateDict("model.norm.weight", 16, 0, [2], [1L << 62])),
            "overflows").SetName("TensorStrideOverflow");
        yield return new TestCaseData((Func<byte[]>)(() => PickleBytes.OneTensorStateDict("model.norm.weight", long.MaxValue / 2, 0, [2], [1])),
            "64-bit").SetName("StorageByteCountOverflow");
    }

    [TestCaseSource(nameof(Bombs))]
    public void ConverterRefusesWithinBounds(Func<byte[]> pickle, string limit)
    {
        string input = TorchZip.Write(_scratch.File("bomb.pth"), pickle(), new Dictionary<string, long> { ["0"] = 64 });
        string output = _scratch.WriteText("out.safetensors", "an older conversion");
        var before = OutputPathState.Of(output);

        var result = HostileRun.Child(["convert", input, "--config", Config, "--out", output, "--quiet"]);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain(limit).And.Contain("bomb.pth"), result.ToString());
        Assert.That(result.PeakRssBytes, Is.LessThan(PeakRssBound), result.ToString());
        OutputPathState.AssertUnchanged(output, before);
    }

    [Test]
    public void DeepTupleIsRefusedBeforeAnythingRecursesIntoIt()
    {
        var e = Assert.Throws<PickleFormatException>(() =>
            new RestrictedUnpickler(new MemoryStream(DeepTuple()), "deep.pkl", _ => throw new InvalidOperationException()).Load());
        Assert.That(e!.Message, Does.Contain($"limit of {PickleLimits.MaxNestingDepth}"));
    }

    [Test]
    public void OpcodeCountIsBounded()
    {
        // A list appended to itself-free: EMPTY_LIST then (None, APPEND) forever; each step is two cheap opcodes.
        var p = new PickleBytes().Proto().Raw((byte)']').Repeat((int)(PickleLimits.MaxObjects / 2) + 1, (byte)'N', (byte)'a').Stop().ToArray();
        var e = Assert.Throws<PickleFormatException>(() =>
            new RestrictedUnpickler(new MemoryStream(p), "long.pkl", _ => throw new InvalidOperationException()).Load());
        Assert.That(e!.Message, Does.Contain("PickleLimits.MaxObjects"));
    }

    [Test]
    public void StridedViewOverAHugeCompressedStorageIsRefusedBeforeAllocating()
    {
        // 1.1 GiB of zeros deflates to ~1 MiB; the view [2, 2] with strides (1, numel - 2) spans all of it.
        long numel = (TorchTensorData.MaxGatherBytes + (100L << 20)) / 4;
        string input = TorchZip.Write(_scratch.File("view.pth"), PickleBytes.OneTensorStateDict("w", numel, 0, [2, 2], [1, numel - 2]),
            new Dictionary<string, long> { ["0"] = numel * 4 });
        Assert.That(new FileInfo(input).Length, Is.LessThan(16L << 20));

        using var checkpoint = TorchCheckpointFile.Open(input);
        var tensor = TorchStateDicts.From(checkpoint).Single![0].Tensor;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => TorchTensorData.OpenRowMajor(checkpoint, "w", tensor).Dispose());
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, Is.LessThan(64L << 20));
        Assert.That(e!.Message, Does.Contain("MaxGatherBytes").And.Contain("'w'"));
    }
}
