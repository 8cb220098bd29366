using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;
using NUnit.Framework;
using static Clara.Engine.Tests.IO.RawSafetensors;

namespace Clara.Engine.Tests.IO;

/// <summary>Reading well-formed files built byte by byte from the format description, and the reader's API contract.</summary>
public class SafetensorsFileTests
{
    private TempDirectory _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDirectory();
    [TearDown] public void TearDown() => _dir.Dispose();

    [Test]
    public void EmptyHeaderIsAValidFile()
    {
        using var file = SafetensorsFile.Open(_dir.Write("empty.safetensors", Build("{}", 0)));
        Assert.That(file.Tensors, Is.Empty);
        Assert.That(file.Metadata, Is.Empty);
        Assert.That(file.DataSectionOffset, Is.EqualTo(10));
    }

    [Test]
    public void ReadsEntriesInHeaderOrderWithAbsoluteOffsets()
    {
        // Header order differs from data order, which the format allows.
        byte[] data = RandomBytes(4 * 6 + 2 * 3, seed: 1);
        string header = Header(Entry("second", "BF16", [3], 24, 30), Entry("first", "F32", [2, 3], 0, 24));
        using var file = SafetensorsFile.Open(_dir.Write("two.safetensors", Build(header, data)));

        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "second", "first" }));
        long dataStart = 8 + Encoding.UTF8.GetByteCount(header);
        Assert.That(file.DataSectionOffset, Is.EqualTo(dataStart));
        Assert.That(file["first"], Is.EqualTo(new SafetensorsEntry("first", DType.F32, new Shape(2, 3), dataStart, 24)));
        Assert.That(file["second"], Is.EqualTo(new SafetensorsEntry("second", DType.BF16, new Shape(3), dataStart + 24, 6)));
        Assert.That(file.GetBytes(file["first"]).ToArray(), Is.EqualTo(data[..24]));
        Assert.That(file.GetBytes(file["second"]).ToArray(), Is.EqualTo(data[24..]));
    }

    [Test]
    public void AcceptsZeroLengthTensorsAnywhereOnTheTiling()
    {
        string header = Header(
            Entry("lead", "F32", [0], 0, 0),
            Entry("a", "F32", [1], 0, 4),
            Entry("mid", "I64", [2, 0], 4, 4),
            Entry("b", "U8", [4], 4, 8),
            Entry("tail", "BF16", [0, 7], 8, 8));
        using var file = SafetensorsFile.Open(_dir.Write("zeros.safetensors", Build(header, 8)));
        Assert.That(file.Tensors, Has.Count.EqualTo(5));
        Assert.That(file.GetBytes(file["mid"]).Length, Is.Zero);
        Assert.That(file.ReadAsFloat32("tail"), Is.Empty);
        Assert.That(file.ReadAsInt64("mid"), Is.Empty);
    }

    [Test]
    public void AcceptsScalarTensor()
    {
        byte[] data = RandomBytes(4, seed: 2);
        using var file = SafetensorsFile.Open(_dir.Write("scalar.safetensors", Build(Header(Entry("s", "F32", [], 0, 4)), data)));
        Assert.That(file["s"].Shape.Rank, Is.Zero);
        Assert.That(file.ReadAsFloat32("s"), Is.EqualTo(new[] { BinaryPrimitives.ReadSingleLittleEndian(data) }));
    }

    [Test]
    public void ReadsMetadataAndToleratesSpacePaddingAndNullMetadata()
    {
        using (var file = SafetensorsFile.Open(_dir.Write("meta.safetensors", Build("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\"}}      ", 0))))
            Assert.That(file.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "x" }));
        using (var file = SafetensorsFile.Open(_dir.Write("nullmeta.safetensors", Build("{\"__metadata__\":null}", 0))))
            Assert.That(file.Metadata, Is.Empty);
    }

    [Test]
    public void IndexerNamesTensorAndFileWhenMissing()
    {
        using var file = SafetensorsFile.Open(_dir.Write("one.safetensors", Build(Header(Entry("w", "F32", [1], 0, 4)), 4)));
        Assert.That(() => file["nope"], Throws.TypeOf<KeyNotFoundException>()
            .With.Message.Contains("'nope'").And.Message.Contains("one.safetensors"));
        Assert.That(file.TryGet("nope", out _), Is.False);
        Assert.That(file.TryGet("w", out var entry) && entry.Name == "w", Is.True);
    }

    [Test]
    public void RefusesEntriesFromAnotherFile()
    {
        using var small = SafetensorsFile.Open(_dir.Write("small.safetensors", Build(Header(Entry("w", "U8", [4], 0, 4)), 4)));
        using var large = SafetensorsFile.Open(_dir.Write("large.safetensors", Build(Header(Entry("w", "U8", [4096], 0, 4096)), 4096)));
        Assert.That(() => small.GetBytes(large["w"]), Throws.ArgumentException.With.Message.Contains("small.safetensors"));
    }

    [Test]
    public void UseAfterDisposeThrows()
    {
        var file = SafetensorsFile.Open(_dir.Write("d.safetensors", Build(Header(Entry("w", "F32", [1], 0, 4)), 4)));
        var entry = file["w"];
        file.Dispose();
        Assert.That(() => file.GetBytes(entry), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => file.ReadAsFloat32("w"), Throws.TypeOf<ObjectDisposedException>());
        file.Dispose();
    }

    [Test]
    public unsafe void PointerSeesTheSameBytesAsTheSpan()
    {
        byte[] data = RandomBytes(12, seed: 3);
        using var file = SafetensorsFile.Open(_dir.Write("p.safetensors", Build(Header(Entry("w", "I32", [3], 0, 12)), data)));
        byte* pointer = file.GetPointer(file["w"]);
        Assert.That(new ReadOnlySpan<byte>(pointer, 12).ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void ReadAsFloat32RefusesIntegerTensorNamingIt()
    {
        using var file = SafetensorsFile.Open(_dir.Write("i.safetensors", Build(Header(Entry("ids", "I32", [1], 0, 4)), 4)));
        Assert.That(() => file.ReadAsFloat32("ids"), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("'ids'").And.Message.Contains("i.safetensors").And.Message.Contains("I32"));
    }

    [Test]
    public void ReadAsInt32NarrowsI64AndRejectsOutOfRangeValues()
    {
        long[] fitting = [int.MinValue, -1, 0, int.MaxValue];
        long[] tooLarge = [0, (long)int.MaxValue + 1];
        string header = Header(Entry("ok", "I64", [4], 0, 32), Entry("big", "I64", [2], 32, 48));
        using var file = SafetensorsFile.Open(_dir.Write("i64.safetensors", Build(header, LittleEndian(fitting).Concat(LittleEndian(tooLarge)).ToArray())));

        Assert.That(file.ReadAsInt32("ok"), Is.EqualTo(fitting.Select(v => (int)v)));
        Assert.That(file.ReadAsInt64("ok"), Is.EqualTo(fitting));
        Assert.That(() => file.ReadAsInt32("big"), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains("'big'").And.Message.Contains("element 1").And.Message.Contains("does not fit"));
    }

    [Test]
    public void GitLfsPointerIsNamedAsSuch()
    {
        string oid = System.Convert.ToHexStringLower(SHA256.HashData("weights"u8));
        string path = _dir.WriteText("model.safetensors", $"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 14483464\n");
        Assert.That(() => SafetensorsFile.Open(path), Throws.TypeOf<SafetensorsFormatException>()
            .With.Message.Contains("model.safetensors")
            .And.Message.Contains("is a Git LFS pointer, not the weights: run git lfs pull"));
        Assert.That(GitLfsPointer.IsPointerFile(path), Is.True);
    }

    [Test]
    public void MissingFileIsFileNotFound() =>
        Assert.That(() => SafetensorsFile.Open(_dir.File("absent.safetensors")), Throws.TypeOf<FileNotFoundException>());

    internal static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] LittleEndian(long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return bytes;
    }
}
