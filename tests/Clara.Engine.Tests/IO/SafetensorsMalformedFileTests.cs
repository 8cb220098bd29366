using System.Text;
using Clara.Engine.IO.Safetensors;
using NUnit.Framework;
using static Clara.Engine.Tests.IO.RawSafetensors;

namespace Clara.Engine.Tests.IO;

/// <summary>One test per way a safetensors file can be malformed: each must be refused with a message naming the file and the problem.</summary>
public class SafetensorsMalformedFileTests
{
    private TempDirectory _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDirectory();
    [TearDown] public void TearDown() => _dir.Dispose();

    private SafetensorsFormatException AssertRejected(byte[] fileBytes, string phrase, string? tensor = null)
    {
        string fileName = TestContext.CurrentContext.Test.MethodName + ".safetensors";
        string path = _dir.Write(fileName, fileBytes);
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose())!;
        Assert.That(error.Message, Does.Contain(fileName));
        Assert.That(error.Message, Does.Contain(phrase));
        Assert.That(error.TensorName, Is.EqualTo(tensor));
        return error;
    }

    [Test]
    public void FileShorterThanLengthPrefix() =>
        AssertRejected(new byte[5], "shorter than the 8-byte header length prefix");

    [Test]
    public void EmptyFile() =>
        AssertRejected([], "shorter than the 8-byte header length prefix");

    [Test]
    public void HeaderLengthOverLimit() =>
        AssertRejected(WithDeclaredHeaderLength(100_000_001, Encoding.UTF8.GetBytes("{}")), "exceeds the limit of 100000000 bytes");

    [Test]
    public void HeaderLengthWithHighBitSet() =>
        AssertRejected(WithDeclaredHeaderLength(ulong.MaxValue, Encoding.UTF8.GetBytes("{}")), "exceeds the limit");

    [Test]
    public void HeaderPastEndOfFile() =>
        AssertRejected(WithDeclaredHeaderLength(64, Encoding.UTF8.GetBytes("{}")), "runs past the end of the file");

    [Test]
    public void HeaderNotUtf8()
    {
        byte[] header = [.. "{\"w\u00e9"u8, 0xFF, .. "\":{}}"u8];
        AssertRejected(Build(header, []), "header is not valid UTF-8");
    }

    [Test]
    public void HeaderNotJson() =>
        AssertRejected(Build("{\"w\": {\"dtype\": ", 0), "header is not valid JSON");

    [Test]
    public void EmptyHeader() =>
        AssertRejected(Build("", 0), "header is not valid JSON");

    [Test]
    public void TrailingJunkAfterHeaderObject() =>
        AssertRejected(Build("{} x", 0), "header is not valid JSON");

    [Test]
    public void HeaderJsonIsArray() =>
        AssertRejected(Build("[1, 2]", 0), "header JSON is not an object (it is an array)");

    [Test]
    public void EntryIsNotAnObject() =>
        AssertRejected(Build("{\"w\": [0, 4]}", 4), "entry is not an object", "w");

    [Test]
    public void EntryLacksDtype() =>
        AssertRejected(Build("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "entry lacks 'dtype'", "w");

    [Test]
    public void EntryLacksShape() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "entry lacks 'shape'", "w");

    [Test]
    public void EntryLacksDataOffsets() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "entry lacks 'data_offsets'", "w");

    [Test]
    public void EntryDtypeIsNotAString() =>
        AssertRejected(Build("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "'dtype' is not a string (it is a number)", "w");

    [Test]
    public void EntryShapeIsNotAnArray() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4), "'shape' is not an array (it is a string)", "w");

    [Test]
    public void EntryShapeHoldsAString() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4), "shape dimension is not an integer (it is a string)", "w");

    [Test]
    public void EntryDataOffsetsIsAnObject() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}}}", 4), "'data_offsets' is not an array (it is an object)", "w");

    [Test]
    public void EntryDataOffsetsHasThreeValues() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4), "'data_offsets' has 3 values", "w");

    [Test]
    public void EntryHasUnexpectedKey() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":null}}", 4), "unexpected key 'extra'", "w");

    [Test]
    public void EntryHasKeyTwice() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "the key 'dtype' twice", "w");

    [Test]
    public void MetadataValueIsNotAString() =>
        AssertRejected(Build("{\"__metadata__\":{\"format\":1}}", 0), "\"__metadata__\" is not a string-to-string map: the value of 'format' is a number");

    [Test]
    public void MetadataIsAnArray() =>
        AssertRejected(Build("{\"__metadata__\":[\"pt\"]}", 0), "\"__metadata__\" is not a string-to-string map (it is an array)");

    [Test]
    public void DuplicateTensorName() =>
        AssertRejected(Build(Header(Entry("w", "F32", [1], 0, 4), Entry("w", "F32", [1], 4, 8)), 8), "duplicate tensor name", "w");

    [Test]
    public void UnknownDtype() =>
        AssertRejected(Build(Header(Entry("w", "F128", [1], 0, 16)), 16), "unknown dtype 'F128'", "w");

    [Test]
    public void NegativeShapeDimension() =>
        AssertRejected(Build(Header(Entry("w", "F32", [2, -1], 0, 0)), 0), "shape dimension -1 is negative", "w");

    [Test]
    public void NonIntegerShapeDimension() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,10]}}", 10), "shape dimension 2.5 is not an integer", "w");

    [Test]
    public void ShapeDimensionBeyondEngineLimit() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296],\"data_offsets\":[0,0]}}", 0), "exceeds the engine's limit", "w");

    [Test]
    public void ShapeTooLargeToAddress() =>
        AssertRejected(Build(Header(Entry("w", "F64", [int.MaxValue, int.MaxValue, int.MaxValue], 0, 0)), 0), "too large to address", "w");

    [Test]
    public void DataOffsetBeyondInt64() =>
        AssertRejected(Build("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,99999999999999999999]}}", 0), "data offset 99999999999999999999 is out of range", "w");

    [Test]
    public void NegativeDataOffset() =>
        AssertRejected(Build(Header(Entry("w", "U8", [0], -4, -4)), 0), "data offset -4 is negative", "w");

    [Test]
    public void SizeDoesNotMatchDataOffsets() =>
        AssertRejected(Build(Header(Entry("w", "F32", [3], 0, 8)), 8), "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8 bytes", "w");

    [Test]
    public void BeginAfterEnd() =>
        AssertRejected(Build(Header(Entry("w", "F32", [1], 8, 4)), 8), "data_offsets [8, 4] have begin > end", "w");

    [Test]
    public void OverlappingTensors() =>
        AssertRejected(Build(Header(Entry("a", "F32", [2], 0, 8), Entry("b", "F32", [2], 4, 12)), 12), "overlap tensor 'a' [0, 8]", "b");

    [Test]
    public void ZeroLengthTensorInsideAnother() =>
        AssertRejected(Build(Header(Entry("a", "F32", [2], 0, 8), Entry("empty", "F32", [0], 4, 4)), 8), "overlap tensor 'a'", "empty");

    [Test]
    public void HoleBetweenTensors() =>
        AssertRejected(Build(Header(Entry("a", "F32", [1], 0, 4), Entry("b", "F32", [1], 8, 12)), 12), "hole of 4 bytes between tensor 'a'", "b");

    [Test]
    public void HoleBeforeFirstTensor() =>
        AssertRejected(Build(Header(Entry("a", "F32", [1], 4, 8)), 8), "hole of 4 bytes before the first tensor", "a");

    [Test]
    public void OffsetsPastEndOfData() =>
        AssertRejected(Build(Header(Entry("a", "F32", [2], 0, 8)), 4), "extend past the end of the data section (4 bytes)", "a");

    [Test]
    public void DataLeftOverAfterLastTensor() =>
        AssertRejected(Build(Header(Entry("a", "F32", [1], 0, 4)), 12), "8 bytes of data left over after the last tensor 'a'");

    [Test]
    public void DataWithNoTensors() =>
        AssertRejected(Build("{}", 3), "3 bytes of data left over with no tensors declared");
}
