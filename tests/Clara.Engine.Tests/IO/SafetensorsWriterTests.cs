using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.IO;

public class SafetensorsWriterTests
{
    private TempDirectory _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDirectory();
    [TearDown] public void TearDown() => _dir.Dispose();

    /// <summary>Every safetensors dtype (Q8_0 is not one: it is stored as two tensors, I8 values and F16 scales).</summary>
    private static IEnumerable<DType> AllDTypes => Enum.GetValues<DType>().Where(d => d != DType.Q8_0);

    [TestCaseSource(nameof(AllDTypes))]
    public void RoundTripsEveryDType(DType dtype)
    {
        var shape = new Shape(3, 5);
        byte[] bytes = SafetensorsFileTests.RandomBytes((int)shape.ElementCount * dtype.SizeOf(), seed: (int)dtype + 10);
        if (dtype == DType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        string path = _dir.File($"{dtype}.safetensors");

        SafetensorsWriter.Write(path, [TensorToWrite.FromBytes("t", dtype, shape, bytes)]);

        using var file = SafetensorsFile.Open(path);
        var entry = file["t"];
        Assert.That(entry.DType, Is.EqualTo(dtype));
        Assert.That(entry.Shape, Is.EqualTo(shape));
        Assert.That(file.GetBytes(entry).ToArray(), Is.EqualTo(bytes));
        if (dtype.IsFloatStorage())
            AssertSameFloats(file.ReadAsFloat32("t"), ScalarToFloat(dtype, bytes));
        if (dtype == DType.I32)
            Assert.That(file.ReadAsInt32("t"), Is.EqualTo(MemoryMarshal.Cast<byte, int>(bytes).ToArray()));
        if (dtype == DType.I64)
            Assert.That(file.ReadAsInt64("t"), Is.EqualTo(MemoryMarshal.Cast<byte, long>(bytes).ToArray()));
    }

    [Test]
    public void LayoutFollowsTheSpecWhenParsedIndependently()
    {
        byte[] a = SafetensorsFileTests.RandomBytes(64, seed: 20), b = SafetensorsFileTests.RandomBytes(6, seed: 21);
        string path = _dir.File("layout.safetensors");
        var result = SafetensorsWriter.Write(path,
            [TensorToWrite.FromBytes("a", DType.F32, new Shape(4, 4), a), TensorToWrite.FromBytes("b", DType.BF16, new Shape(3), b)],
            new Dictionary<string, string> { ["format"] = "pt" }, alignment: 64);

        // Parse with System.Text.Json's DOM and raw offsets, not with the engine's reader.
        byte[] file = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        long dataStart = 8 + headerLength;
        Assert.That(dataStart % 64, Is.Zero);
        Assert.That(result.DataSectionOffset, Is.EqualTo(dataStart));
        string header = Encoding.UTF8.GetString(file, 8, (int)headerLength);
        Assert.That(header.TrimEnd(' '), Does.EndWith("}"));
        using var json = JsonDocument.Parse(header);
        var root = json.RootElement;
        Assert.That(root.GetProperty("__metadata__").GetProperty("format").GetString(), Is.EqualTo("pt"));
        Assert.That(root.GetProperty("a").GetProperty("dtype").GetString(), Is.EqualTo("F32"));
        Assert.That(root.GetProperty("a").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), Is.EqualTo(new[] { 4, 4 }));
        Assert.That(root.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()), Is.EqualTo(new long[] { 0, 64 }));
        Assert.That(root.GetProperty("b").GetProperty("dtype").GetString(), Is.EqualTo("BF16"));
        Assert.That(root.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()), Is.EqualTo(new long[] { 64, 70 }));
        Assert.That(file.Length, Is.EqualTo(dataStart + 70));
        Assert.That(file[(int)dataStart..(int)(dataStart + 64)], Is.EqualTo(a));
        Assert.That(file[(int)(dataStart + 64)..], Is.EqualTo(b));
    }

    [Test]
    public void ReportsTensorsThatCannotBeAligned()
    {
        string path = _dir.File("align.safetensors");
        var result = SafetensorsWriter.Write(path,
        [
            TensorToWrite.FromFloat32("aligned", new Shape(16), new float[16]),
            TensorToWrite.FromFloat32("odd", new Shape(3), new float[3], DType.BF16),
            TensorToWrite.FromFloat32("after_odd", new Shape(16), new float[16]),
        ], alignment: 64);

        Assert.That(result.UnalignedTensors, Is.EqualTo(new[] { "after_odd" }));
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors, Is.EqualTo(result.Tensors));
        Assert.That(file["aligned"].DataOffset % 64, Is.Zero);
        Assert.That(file["odd"].DataOffset % 64, Is.Zero);
    }

    [Test]
    public void FloatValuesAreStoredWithTheScalarRoundingRules()
    {
        var random = new Random(30);
        float[] values = Enumerable.Range(0, 70_000).Select(_ => (float)(random.NextDouble() * 2e4 - 1e4)).ToArray();
        values[0] = float.NaN; values[1] = float.PositiveInfinity; values[2] = -0f; values[3] = 1.00390625f;
        string path = _dir.File("floats.safetensors");
        var shape = new Shape(values.Length);

        SafetensorsWriter.Write(path,
        [
            TensorToWrite.FromFloat32("f32", shape, values),
            TensorToWrite.FromFloat32("bf16", shape, values, DType.BF16),
            TensorToWrite.FromFloat32("f16", shape, values, DType.F16),
        ]);

        using var file = SafetensorsFile.Open(path);
        Assert.That(MemoryMarshal.Cast<byte, float>(file.GetBytes(file["f32"])).ToArray(), Is.EqualTo(values));
        Assert.That(MemoryMarshal.Cast<byte, ushort>(file.GetBytes(file["bf16"])).ToArray(), Is.EqualTo(values.Select(FloatBits.FloatToBF16)));
        Assert.That(MemoryMarshal.Cast<byte, ushort>(file.GetBytes(file["f16"])).ToArray(), Is.EqualTo(values.Select(FloatBits.FloatToF16)));
    }

    [Test]
    public void IntegerConvenienceOverloadsRoundTrip()
    {
        int[] ints = [int.MinValue, -3, 0, 7, int.MaxValue];
        long[] longs = [long.MinValue, -1, 0, long.MaxValue];
        string path = _dir.File("ints.safetensors");
        SafetensorsWriter.Write(path, [TensorToWrite.FromInt32("i", new Shape(5), ints), TensorToWrite.FromInt64("l", new Shape(2, 2), longs)]);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.ReadAsInt32("i"), Is.EqualTo(ints));
        Assert.That(file.ReadAsInt64("l"), Is.EqualTo(longs));
        Assert.That(file["l"].DType, Is.EqualTo(DType.I64));
    }

    [Test]
    public void CallbackStreamsDataInPiecesAndMayDisposeItsStream()
    {
        byte[] data = SafetensorsFileTests.RandomBytes(3 * 1000 * 4, seed: 40);
        string path = _dir.File("callback.safetensors");
        SafetensorsWriter.Write(path,
        [
            TensorToWrite.FromCallback("w", DType.F32, new Shape(3, 1000), stream =>
            {
                using var writer = new BinaryWriter(stream);
                for (int i = 0; i < data.Length; i += 1000) writer.Write(data, i, 1000);
            }),
            TensorToWrite.FromBytes("after", DType.U8, new Shape(2), new byte[] { 5, 6 }),
        ]);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.GetBytes(file["w"]).ToArray(), Is.EqualTo(data));
        Assert.That(file.GetBytes(file["after"]).ToArray(), Is.EqualTo(new byte[] { 5, 6 }));
    }

    [Test]
    public void NamesThatNeedJsonEscapingRoundTrip()
    {
        string[] names = ["model.layers.0.\"q\"\\proj", "embédding/中", "tab\tand<html>&+"];
        string path = _dir.File("names.safetensors");
        SafetensorsWriter.Write(path, names.Select((n, i) => TensorToWrite.FromInt32(n, new Shape(1), new[] { i })));
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(names));
        Assert.That(names.Select(n => file.ReadAsInt32(n)[0]), Is.EqualTo(new[] { 0, 1, 2 }));
    }

    [Test]
    public void CallbacksRunOneAtATimeInFileOrder()
    {
        var log = new List<string>();
        IEnumerable<TensorToWrite> Lazy()
        {
            foreach (string name in new[] { "a", "b", "c" })
            {
                log.Add("describe " + name);
                yield return TensorToWrite.FromCallback(name, DType.U8, new Shape(2), s => { log.Add("write " + name); s.Write(new byte[2]); });
            }
        }
        SafetensorsWriter.Write(_dir.File("order.safetensors"), Lazy());
        Assert.That(log, Is.EqualTo(new[] { "describe a", "describe b", "describe c", "write a", "write b", "write c" }));
    }

    [Test]
    public void MetadataAndEmptyTensorListRoundTrip()
    {
        string path = _dir.File("meta.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["clara"] = "stage=e2e+x<y" };
        SafetensorsWriter.Write(path, [], metadata);
        using var file = SafetensorsFile.Open(path);
        Assert.That(file.Tensors, Is.Empty);
        Assert.That(file.Metadata, Is.EquivalentTo(metadata));
        Assert.That(file.DataSectionOffset % 8, Is.Zero);
    }

    [Test]
    public void RejectsDuplicateNamesAndWritesNothing()
    {
        string path = _dir.File("dup.safetensors");
        Assert.That(() => SafetensorsWriter.Write(path,
            [TensorToWrite.FromFloat32("w", new Shape(1), new float[1]), TensorToWrite.FromFloat32("w", new Shape(1), new float[1])]),
            Throws.ArgumentException.With.Message.Contains("'w' appears more than once"));
        Assert.That(_dir.Entries(), Is.Empty);
    }

    [Test]
    public void RejectsTheReservedMetadataName() =>
        Assert.That(() => SafetensorsWriter.Write(_dir.File("r.safetensors"), [TensorToWrite.FromFloat32("__metadata__", new Shape(1), new float[1])]),
            Throws.ArgumentException.With.Message.Contains("reserved"));

    [Test]
    public void RejectsBytesThatDoNotMatchShapeAndDType() =>
        Assert.That(() => TensorToWrite.FromBytes("w", DType.F32, new Shape(2, 3), new byte[20]),
            Throws.ArgumentException.With.Message.Contains("tensor 'w'").And.Message.Contains("needs 24 bytes but 20 were given"));

    [Test]
    public void RejectsFloatCountThatDoesNotMatchShape() =>
        Assert.That(() => TensorToWrite.FromFloat32("w", new Shape(4), new float[3], DType.BF16),
            Throws.ArgumentException.With.Message.Contains("tensor 'w'").And.Message.Contains("needs 8 bytes but 6 were given"));

    [Test]
    public void CallbackWritingTooLittleLeavesNoFile()
    {
        string path = _dir.File("short.safetensors");
        Assert.That(() => SafetensorsWriter.Write(path, [TensorToWrite.FromCallback("w", DType.F32, new Shape(4), s => s.Write(new byte[15]))]),
            Throws.InvalidOperationException.With.Message.Contains("'w' is 15 bytes but its shape and dtype declare 16"));
        Assert.That(_dir.Entries(), Is.Empty);
    }

    [Test]
    public void CallbackWritingTooMuchLeavesNoFile()
    {
        string path = _dir.File("long.safetensors");
        Assert.That(() => SafetensorsWriter.Write(path, [TensorToWrite.FromCallback("w", DType.F32, new Shape(4), s => s.Write(new byte[17]))]),
            Throws.InvalidOperationException.With.Message.Contains("'w' is longer than the 16 bytes"));
        Assert.That(_dir.Entries(), Is.Empty);
    }

    [Test]
    public void ThrowingCallbackLeavesNoFileAndKeepsThePreviousOne()
    {
        string path = _dir.File("atomic.safetensors");
        SafetensorsWriter.Write(path, [TensorToWrite.FromInt32("old", new Shape(1), new[] { 1 })]);
        byte[] before = File.ReadAllBytes(path);

        Assert.That(() => SafetensorsWriter.Write(path,
        [
            TensorToWrite.FromInt32("first", new Shape(1), new[] { 2 }),
            TensorToWrite.FromCallback("second", DType.U8, new Shape(8), s => { s.Write(new byte[4]); throw new IOException("converter failed"); }),
        ]), Throws.TypeOf<IOException>().With.Message.EqualTo("converter failed"));

        Assert.That(_dir.Entries(), Is.EqualTo(new[] { "atomic.safetensors" }));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
    }

    [Test]
    public void ThrowingCallbackOnNewPathLeavesNothing()
    {
        Assert.That(() => SafetensorsWriter.Write(_dir.File("new.safetensors"),
            [TensorToWrite.FromCallback("w", DType.U8, new Shape(8), _ => throw new InvalidOperationException("boom"))]),
            Throws.InvalidOperationException.With.Message.EqualTo("boom"));
        Assert.That(_dir.Entries(), Is.Empty);
    }

    [Test]
    public void RejectsAlignmentThatIsNotAPowerOfTwo() =>
        Assert.That(() => SafetensorsWriter.Write(_dir.File("a.safetensors"), [], alignment: 48), Throws.TypeOf<ArgumentOutOfRangeException>());

    /// <summary>Reference conversion, element by element, through the scalar routines (not the vectorised ones under test).</summary>
    private static float[] ScalarToFloat(DType dtype, byte[] bytes) => dtype switch
    {
        DType.F32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
        DType.BF16 => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(FloatBits.BF16ToFloat).ToArray(),
        DType.F16 => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(FloatBits.F16ToFloat).ToArray(),
        DType.F64 => MemoryMarshal.Cast<byte, double>(bytes).ToArray().Select(d => (float)d).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Bitwise equality, except that any NaN matches any NaN (payload propagation is not part of the contract for F16/F64).</summary>
    internal static void AssertSameFloats(float[] actual, float[] expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i])) Assert.That(float.IsNaN(actual[i]), $"element {i} should be NaN");
            else Assert.That(BitConverter.SingleToInt32Bits(actual[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[i])), $"element {i}");
        }
    }
}
