using Clara.Engine.Backends.Cpu;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// The transpose behind the CPU products' packed panels: every value lands where the definition puts it, whatever the
/// 8 × 8 register blocks leave over in rows and columns, and nothing outside the transposed block is written (the
/// panels' padding belongs to their callers). tools/simd-width-runs.sh reruns it with no vector hardware (the scalar
/// loop alone).
/// </summary>
public unsafe class FloatTransposeTests
{
    [TestCase(1, 1)]
    [TestCase(8, 8)]
    [TestCase(7, 9)]
    [TestCase(17, 8)]
    [TestCase(8, 21)]
    [TestCase(33, 70)]
    [TestCase(64, 256)]
    public void EveryValueLandsAtItsTransposedPlaceAndNothingElseIsWritten(int rows, int columns)
    {
        int srcStride = columns + 5, dstStride = rows + 3;
        var source = new float[rows * srcStride];
        for (int i = 0; i < source.Length; i++) source[i] = i + 0.5f;
        const float untouched = -7f;
        var destination = Enumerable.Repeat(untouched, columns * dstStride).ToArray();

        fixed (float* src = source)
        fixed (float* dst = destination)
            FloatTranspose.Run(src, srcStride, rows, columns, dst, dstStride);

        for (int c = 0; c < columns; c++)
        for (int r = 0; r < dstStride; r++)
        {
            float expected = r < rows ? source[r * srcStride + c] : untouched;
            Assert.That(destination[c * dstStride + r], Is.EqualTo(expected), $"destination[{c}, {r}]");
        }
    }
}
