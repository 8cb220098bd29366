using System.Runtime.InteropServices;

namespace Clara.Engine.Tensors;

/// <summary>
/// The Q8_0 block quantisation, as llama.cpp's <c>quantize_row_q8_0_ref</c> defines it: each row of a weight [out, in]
/// is cut into blocks of 32 consecutive values; a block's scale is d = max|w| / 127, stored as F16 (rounded to
/// nearest even), and its values q = round(w / d) (half away from zero, as C's roundf; computed as w · (1/d) in fp32,
/// as llama.cpp does), int8 in [-127, 127]. A weight reads back as F16(d) · q. An all-zero block has d = 0 and q = 0.
/// </summary>
public static class Q8Blocks
{
    public const int BlockSize = 32;

    /// <summary>The engine-file name of a Q8_0 weight's scale tensor ("layers.0.wq" → "layers.0.wq.q8_0_scales").</summary>
    public static string ScalesName(string weightName) => weightName + ScalesSuffix;

    /// <summary>The weight a scales tensor belongs to, when <paramref name="name"/> is one.</summary>
    public static bool TryWeightOfScales(string name, out string weightName)
    {
        weightName = name.EndsWith(ScalesSuffix, StringComparison.Ordinal) ? name[..^ScalesSuffix.Length] : "";
        return weightName.Length > 0;
    }

    private const string ScalesSuffix = ".q8_0_scales";

    /// <summary>The scales' shape for a weight [out, in]; a clear error when in is not a multiple of 32.</summary>
    public static Shape ScalesShape(Shape weight, string what)
    {
        if (weight.Rank != 2) throw new InvalidDataException($"{what}: Q8_0 quantises matrices [out, in], not {weight}");
        if (weight[1] % BlockSize != 0)
            throw new InvalidDataException($"{what}: Q8_0 needs the input dimension to be a multiple of {BlockSize}, but {weight} has {weight[1]} columns");
        return new Shape(weight[0], weight[1] / BlockSize);
    }

    /// <summary>Checks a weight's shape against its scales' shape and dtype (F16 [out, in / 32]).</summary>
    public static void CheckShapes(Shape weight, Shape scales, DType scalesType, string what)
    {
        var expected = ScalesShape(weight, what);
        if (!scales.Equals(expected)) throw new InvalidDataException($"{what}: scales {scales} do not match weight {weight} (expected {expected})");
        if (scalesType != DType.F16) throw new InvalidDataException($"{what}: scales are {scalesType}, Q8_0 scales are F16");
    }

    /// <summary>Quantises <paramref name="values"/> (a whole number of blocks) into int8 values and F16 scale bits.</summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<sbyte> quantised, Span<ushort> scales)
    {
        if (values.Length % BlockSize != 0) throw new ArgumentException($"{values.Length} values are not whole blocks of {BlockSize}");
        if (quantised.Length < values.Length || scales.Length < values.Length / BlockSize)
            throw new ArgumentException("destination too small for the quantised blocks");
        for (int b = 0; b < values.Length / BlockSize; b++)
        {
            var block = values.Slice(b * BlockSize, BlockSize);
            float max = 0f;
            foreach (float v in block)
            {
                if (!float.IsFinite(v)) throw new InvalidDataException($"value {v} in block {b} cannot be quantised to Q8_0 (only finite weights can)");
                max = MathF.Max(max, MathF.Abs(v));
            }
            float d = max / 127f;
            float inverse = d != 0f ? 1f / d : 0f;
            scales[b] = FloatBits.FloatToF16(d);
            for (int j = 0; j < BlockSize; j++)
                quantised[b * BlockSize + j] = (sbyte)MathF.Round(block[j] * inverse, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>Reads quantised values back as fp32: F16(scale) · q per block.</summary>
    public static void Dequantize(ReadOnlySpan<sbyte> quantised, ReadOnlySpan<ushort> scales, Span<float> destination)
    {
        if (quantised.Length % BlockSize != 0 || scales.Length < quantised.Length / BlockSize || destination.Length < quantised.Length)
            throw new ArgumentException($"{quantised.Length} quantised values, {scales.Length} scales and {destination.Length} outputs do not match");
        for (int b = 0; b < quantised.Length / BlockSize; b++)
        {
            float d = FloatBits.F16ToFloat(scales[b]);
            for (int j = 0; j < BlockSize; j++) destination[b * BlockSize + j] = d * quantised[b * BlockSize + j];
        }
    }

    /// <summary>Quantises whole rows of fp32 values into the bytes of the values tensor and of the scales tensor.</summary>
    public static void Quantize(ReadOnlySpan<float> values, Span<byte> quantisedBytes, Span<byte> scaleBytes) =>
        Quantize(values, MemoryMarshal.Cast<byte, sbyte>(quantisedBytes), MemoryMarshal.Cast<byte, ushort>(scaleBytes));
}
