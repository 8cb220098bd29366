using Clara.Engine.IO;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.IO;

/// <summary>The vectorised conversions against the definitions (bf16 = top half of fp32) and the scalar routines.</summary>
public class BulkConvertTests
{
    [Test]
    public void BF16ToFloat32IsExactForEveryBitPattern()
    {
        ushort[] all = Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();
        // Offset by one element so the vector loop runs on unaligned data and the tail loop has work.
        var source = all.AsSpan(1);
        var destination = new float[source.Length];
        BulkConvert.BF16ToFloat32(source, destination);
        for (int i = 0; i < source.Length; i++)
            Assert.That(BitConverter.SingleToInt32Bits(destination[i]), Is.EqualTo(source[i] << 16), $"bf16 0x{source[i]:X4}");
    }

    [Test]
    public void Float32ToBF16MatchesScalarRoundingForRandomAndSpecialBitPatterns()
    {
        var random = new Random(50);
        var bits = new uint[1_000_003];
        for (int i = 0; i < bits.Length; i++) bits[i] = (uint)random.NextInt64(0, 1L << 32);
        float[] specials =
        [
            float.NaN, -float.NaN, BitConverter.UInt32BitsToSingle(0x7F800001), BitConverter.UInt32BitsToSingle(0xFFC12345),
            float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, float.Epsilon, -0f, 0f,
            BitConverter.UInt32BitsToSingle(0x3F808000), BitConverter.UInt32BitsToSingle(0x3F818000), BitConverter.UInt32BitsToSingle(0x7F7FFFFF),
        ];
        float[] values = [.. specials, .. bits.Select(BitConverter.UInt32BitsToSingle)];
        var actual = new ushort[values.Length];
        BulkConvert.Float32ToBF16(values, actual);
        for (int i = 0; i < values.Length; i++)
            Assert.That(actual[i], Is.EqualTo(FloatBits.FloatToBF16(values[i])), $"fp32 0x{BitConverter.SingleToUInt32Bits(values[i]):X8}");
    }

    [Test]
    public void F64ToFloat32MatchesTheCast()
    {
        var random = new Random(51);
        double[] values = [.. Enumerable.Range(0, 10_007).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-160, 160))),
            double.NaN, double.PositiveInfinity, 1e300, -1e-300, double.Epsilon];
        var actual = new float[values.Length];
        BulkConvert.F64ToFloat32(values, actual);
        SafetensorsWriterTests.AssertSameFloats(actual, values.Select(v => (float)v).ToArray());
    }

    [Test]
    public void F16ToFloat32IsExactForEveryBitPattern()
    {
        Half[] all = Enumerable.Range(0, 1 << 16).Select(i => BitConverter.UInt16BitsToHalf((ushort)i)).ToArray();
        var actual = new float[all.Length];
        BulkConvert.F16ToFloat32(all, actual);
        SafetensorsWriterTests.AssertSameFloats(actual, all.Select(h => (float)h).ToArray());
    }

    [Test]
    public void ShortDestinationIsRefused() =>
        Assert.That(() => BulkConvert.BF16ToFloat32(new ushort[9], new float[8]), Throws.ArgumentException.With.Message.Contains("destination holds 8"));
}
