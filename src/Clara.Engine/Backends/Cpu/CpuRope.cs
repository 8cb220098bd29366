using System.Numerics;
using Clara.Engine.Backends.Ops;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of kernels/rope.cu, HF "rotate_half" layout: within each head the first half pairs with the second.
/// Frequencies are formed in fp32 exactly as HF does (inv_freq = 1 / theta^(2i/d), angle = position · inv_freq),
/// so long positions round the same way.
/// </summary>
internal static class CpuRope
{
    /// <remarks>Rows are split over the kernel workers; each row's values are the same on any thread count.</remarks>
    public static void Forward(Tensors.Tensor input, Tensors.Tensor positions, int headDim, float theta, Tensors.Tensor output, int threads)
    {
        var (rows, width) = RopeRules.Check(input, positions, headDim, output);
        var angles = RowAngles.For(positions, headDim, theta);
        StaticPartition.Run(checked((int)rows), 1, threads, 6.0 * rows * width, (start, end) =>
        {
            var x = CpuTensor.F32(input, "rope input");
            var y = CpuTensor.F32(output, "rope output");
            var pos = CpuTensor.I32(positions, "rope positions");
            Span<float> cos = stackalloc float[headDim / 2];
            Span<float> sin = stackalloc float[headDim / 2];
            for (int r = start; r < end; r++)
            {
                angles.Of(pos[r], cos, sin, out var c, out var s);
                for (int head = 0; head < width / headDim; head++)
                    Rotate(x.Slice(r * width + head * headDim, headDim), c, s, y.Slice(r * width + head * headDim, headDim));
            }
        });
    }

    /// <summary>
    /// The rows' cos/sin: from a table of the distinct positions when the rows' positions are dense (a batch of
    /// sequences repeats 0…L−1), else computed for each row's position; the same values either way.
    /// </summary>
    internal sealed class RowAngles
    {
        private readonly float[] _invFreq;
        private readonly AngleTable? _table;

        private RowAngles(Tensors.Tensor positions, float[] invFreq)
        {
            _invFreq = invFreq;
            _table = AngleTable.For(CpuTensor.I32(positions, "rope positions"), invFreq);
        }

        public static RowAngles For(Tensors.Tensor positions, int headDim, float theta)
        {
            var invFreq = new float[headDim / 2];
            InverseFrequencies(headDim, theta, invFreq);
            return new RowAngles(positions, invFreq);
        }

        /// <summary>The cos and sin of <paramref name="position"/>, in the table or computed into the scratch spans given.</summary>
        public void Of(int position, Span<float> cosScratch, Span<float> sinScratch, out ReadOnlySpan<float> cos, out ReadOnlySpan<float> sin)
        {
            if (_table is not null)
            {
                cos = _table.Cos(position);
                sin = _table.Sin(position);
                return;
            }
            Angles(position, _invFreq, cosScratch, sinScratch);
            cos = cosScratch;
            sin = sinScratch;
        }
    }

    private static void Angles(int position, ReadOnlySpan<float> invFreq, Span<float> cos, Span<float> sin)
    {
        float p = position;
        for (int i = 0; i < invFreq.Length; i++)
        {
            float angle = p * invFreq[i];
            cos[i] = MathF.Cos(angle);
            sin[i] = MathF.Sin(angle);
        }
    }

    /// <summary>cos/sin once per distinct position: the same values as computing them per row, at a fraction of the trigonometry.</summary>
    private sealed class AngleTable
    {
        private readonly int _first, _half;
        private readonly float[] _cos, _sin;

        private AngleTable(int first, int count, ReadOnlySpan<float> invFreq)
        {
            _first = first;
            _half = invFreq.Length;
            _cos = new float[count * _half];
            _sin = new float[count * _half];
            for (int p = 0; p < count; p++) Angles(first + p, invFreq, _cos.AsSpan(p * _half, _half), _sin.AsSpan(p * _half, _half));
        }

        public static AngleTable? For(ReadOnlySpan<int> positions, ReadOnlySpan<float> invFreq)
        {
            if (positions.Length < 2) return null;
            int min = positions[0], max = positions[0];
            foreach (int p in positions) { min = Math.Min(min, p); max = Math.Max(max, p); }
            long count = (long)max - min + 1;
            return count < positions.Length ? new AngleTable(min, (int)count, invFreq) : null;
        }

        public ReadOnlySpan<float> Cos(int position) => _cos.AsSpan((position - _first) * _half, _half);
        public ReadOnlySpan<float> Sin(int position) => _sin.AsSpan((position - _first) * _half, _half);
    }

    /// <summary>
    /// One head: y[i] = a·cos − b·sin, y[i+half] = b·cos + a·sin with a = x[i], b = x[i+half]. Products are rounded
    /// before the sum (no FMA), as PyTorch's x·cos + rotate_half(x)·sin rounds them.
    /// </summary>
    private static void Rotate(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> y)
    {
        int half = cos.Length, i = 0;
        // Vector<float> is the accelerated width on every machine (256 bits on AVX2 and AVX-512 hosts, 128 on ARM).
        if (Vector.IsHardwareAccelerated)
            for (int lanes = Vector<float>.Count; i + lanes <= half; i += lanes)
            {
                var a = new Vector<float>(x.Slice(i, lanes));
                var b = new Vector<float>(x.Slice(i + half, lanes));
                var c = new Vector<float>(cos.Slice(i, lanes));
                var s = new Vector<float>(sin.Slice(i, lanes));
                (a * c - b * s).CopyTo(y.Slice(i, lanes));
                (b * c + a * s).CopyTo(y.Slice(i + half, lanes));
            }
        for (; i < half; i++)
        {
            float a = x[i], b = x[i + half];
            y[i] = a * cos[i] - b * sin[i];
            y[i + half] = b * cos[i] + a * sin[i];
        }
    }

    public static void InverseFrequencies(int headDim, float theta, Span<float> invFreq)
    {
        for (int i = 0; i < invFreq.Length; i++)
            invFreq[i] = 1f / MathF.Pow(theta, (2 * i) / (float)headDim);
    }
}
