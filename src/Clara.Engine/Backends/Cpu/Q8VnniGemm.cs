using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Prefill's products with Q8_0 weights on a CPU with AVX-VNNI, whose <c>vpdpbusd</c> does 32 int8 multiply-adds in one
/// 256-bit instruction where an fp32 FMA does 16 at 512 bits. The input rows are quantised to Q8_0 as the decode
/// GEMV's int8 kind quantises them (<see cref="Q8Activations"/>), so y = Σ over blocks of d_x · d_w · Σ q_x · q_w, as
/// llama.cpp computes it, and a row's result does not depend on the other rows of the batch.
/// <para>
/// Weights are packed 24 rows at a time (three groups of eight) into a panel where each 32-byte vector holds four
/// consecutive weights of each of eight rows: one broadcast of four input bytes feeds eight rows' dot products. The
/// micro-kernel keeps 4 input rows × 24 weight rows in twelve int32 accumulators over one block of 32, then scales them
/// into fp32 sums; twelve accumulators, three weight vectors and one broadcast are the sixteen registers the VEX-encoded
/// instruction can name. <c>vpdpbusd</c> multiplies unsigned by signed bytes, so the inputs are stored as q + 128 and
/// each weight block's 128 · Σ w (formed with the same instruction while the panel is packed) is subtracted before
/// the scaling. Threads split the weight rows, each packing its own panels.
/// </para>
/// Without AVX-VNNI, <see cref="BroadcastGemm"/> dequantises the weights instead (and the inputs are not rounded).
/// </summary>
internal static unsafe class Q8VnniGemm
{
    private const int Block = Q8Blocks.BlockSize;
    private const int GroupRows = 8;                          // weight rows per vector, four bytes of each
    private const int Groups = 3;
    private const int PanelRows = GroupRows * Groups;
    private const int InputRows = 4;                          // input rows per micro-tile
    private const int Steps = Block / 4;                      // vpdpbusd steps per block, four bytes of K each
    private const int StepBytes = Groups * 32;
    private const int BlockBytes = Steps * StepBytes;         // one block of a packed panel

    public static bool IsSupported => AvxVnni.IsSupported && Avx2.IsSupported;

    /// <summary>Whether <see cref="CpuMatMul.Multiply"/> sends a Q8_0 [N, K] product here: more rows than decoding, neither side thin.</summary>
    public static bool Takes(int m, int n, int k) =>
        IsSupported && m > CpuMatMul.GemvMaxRows && n > CpuMatMul.ThinLimit && k > CpuMatMul.ThinLimit;

    public static void Run(Product p, int threads)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the Q8_0 prefill GEMM needs AVX-VNNI");
        if (p.K % Block != 0) throw new ArgumentException($"a Q8_0 weight needs K to be a multiple of {Block}, not {p.K}");
        int blocks = p.K / Block;
        long rows = (p.M + InputRows - 1) / InputRows * InputRows;
        var values = Q8Activations.Values.Rent(rows * p.K);
        var scales = Q8Activations.Scales.Rent(rows * blocks);
        fixed (sbyte* xq = values)
        fixed (float* xd = scales)
        {
            Q8Activations.Quantise(p.X, (long)p.M * p.K, xq, xd, unsigned: true);
            // The last micro-tile's missing rows read as zeros: q + 128 = 128, scale 0.
            new Span<byte>((byte*)xq + (long)p.M * p.K, (int)((rows - p.M) * p.K)).Fill(0x80);
            new Span<float>(xd + (long)p.M * blocks, (int)((rows - p.M) * blocks)).Clear();
            // Lambdas cannot capture pointers: the addresses travel as integers (the arrays are pinned).
            nint valuesAddress = (nint)xq, scalesAddress = (nint)xd;
            var product = p;
            StaticPartition.Run(p.N, PanelRows, threads, (double)p.M * p.N * p.K,
                (start, end) => Panels(product, (byte*)valuesAddress, (float*)scalesAddress, start, end));
        }
    }

    private static void Panels(in Product p, byte* xq, float* xd, int n0, int n1)
    {
        int blocks = p.K / Block;
        var scratch = PanelScratch.Rent((long)blocks * (BlockBytes + PanelRows * (sizeof(int) + sizeof(float))));
        float* tile = stackalloc float[InputRows * PanelRows];
        fixed (byte* start = scratch)
        {
            sbyte* panel = (sbyte*)start;
            int* compensation = (int*)(start + (long)blocks * BlockBytes);
            float* weightScales = (float*)(compensation + (long)blocks * PanelRows);
            for (int n = n0; n < n1; n += PanelRows)
            {
                int nr = Math.Min(PanelRows, n1 - n);
                Pack(p, n, nr, panel, compensation, weightScales);
                for (int m = 0; m < p.M; m += InputRows)
                {
                    MicroTile(xq + (long)m * p.K, xd + (long)m * blocks, p.K, panel, compensation, weightScales, tile);
                    StoreTile(p, tile, m, Math.Min(InputRows, p.M - m), n, nr);
                }
            }
        }
    }

    /// <summary>y[m + i, n + j] ← alpha · tile[i, j] (+ beta · y), whole rows of 24 as three vectors (the same operations as <see cref="Product.Store"/>).</summary>
    private static void StoreTile(in Product p, float* tile, int m, int mr, int n, int nr)
    {
        var alpha = Vector256.Create(p.Alpha);
        var beta = Vector256.Create(p.Beta);
        for (int i = 0; i < mr; i++)
        {
            float* y = p.Y + (long)(m + i) * p.N + n;
            float* t = tile + i * PanelRows;
            if (nr < PanelRows)
            {
                for (int j = 0; j < nr; j++) p.Store((long)(m + i) * p.N + n + j, t[j]);
                continue;
            }
            for (int j = 0; j < PanelRows; j += 8)
            {
                var v = Vector256.Load(t + j) * alpha;
                if (p.Beta != 0f) v += Vector256.Load(y + j) * beta;
                v.Store(y + j);
            }
        }
    }

    /// <summary>
    /// Weight rows [n, n + nr) into the panel layout (block, step, group: 32 bytes, four per row), their blocks'
    /// 128 · Σ w and their scales in fp32; rows past nr are zero.
    /// </summary>
    private static void Pack(in Product p, int n, int nr, sbyte* panel, int* compensation, float* weightScales)
    {
        int blocks = p.K / Block;
        var offset = Vector256.Create((byte)128);
        var steps = stackalloc Vector256<int>[Steps];
        for (int b = 0; b < blocks; b++)
        {
            for (int g = 0; g < Groups; g++)
            {
                int first = g * GroupRows;
                sbyte* source = (sbyte*)p.W + (long)(n + first) * p.K + (long)b * Block;
                if (first + GroupRows <= nr) Transpose(source, p.K, steps);
                else
                    for (int s = 0; s < Steps; s++) steps[s] = PartialGroup(source + 4 * s, p.K, nr - first).AsInt32();
                var sum = Vector256<int>.Zero;
                for (int s = 0; s < Steps; s++)
                {
                    var v = steps[s].AsSByte();
                    v.Store(panel + (long)b * BlockBytes + s * StepBytes + g * 32);
                    sum = AvxVnni.MultiplyWideningAndAdd(sum, offset, v);
                }
                sum.Store(compensation + b * PanelRows + first);
                for (int j = 0; j < GroupRows; j++)
                    weightScales[b * PanelRows + first + j] = first + j < nr ? F16Table.Value(p.Scales[(long)(n + first + j) * blocks + b]) : 0f;
            }
        }
    }

    /// <summary>
    /// A block of eight weight rows (32 bytes each, eight four-byte steps) as eight vectors, step s holding the four
    /// bytes of step s of every row: an 8 × 8 transpose of 32-bit lanes. (A gather per step packed the panels at about
    /// 4 GB/s, a quarter of prefill's product time.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(sbyte* source, int rowBytes, Vector256<int>* steps)
    {
        var r0 = Vector256.Load((int*)source);
        var r1 = Vector256.Load((int*)(source + rowBytes));
        var r2 = Vector256.Load((int*)(source + 2L * rowBytes));
        var r3 = Vector256.Load((int*)(source + 3L * rowBytes));
        var r4 = Vector256.Load((int*)(source + 4L * rowBytes));
        var r5 = Vector256.Load((int*)(source + 5L * rowBytes));
        var r6 = Vector256.Load((int*)(source + 6L * rowBytes));
        var r7 = Vector256.Load((int*)(source + 7L * rowBytes));
        // Pairs of rows interleaved by dword, then by qword: each 128-bit lane then holds one step of four rows.
        var t0 = Avx2.UnpackLow(r0, r1).AsInt64(); var t1 = Avx2.UnpackHigh(r0, r1).AsInt64();
        var t2 = Avx2.UnpackLow(r2, r3).AsInt64(); var t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        var t4 = Avx2.UnpackLow(r4, r5).AsInt64(); var t5 = Avx2.UnpackHigh(r4, r5).AsInt64();
        var t6 = Avx2.UnpackLow(r6, r7).AsInt64(); var t7 = Avx2.UnpackHigh(r6, r7).AsInt64();
        var u0 = Avx2.UnpackLow(t0, t2).AsInt32(); var u1 = Avx2.UnpackHigh(t0, t2).AsInt32();
        var u2 = Avx2.UnpackLow(t1, t3).AsInt32(); var u3 = Avx2.UnpackHigh(t1, t3).AsInt32();
        var u4 = Avx2.UnpackLow(t4, t6).AsInt32(); var u5 = Avx2.UnpackHigh(t4, t6).AsInt32();
        var u6 = Avx2.UnpackLow(t5, t7).AsInt32(); var u7 = Avx2.UnpackHigh(t5, t7).AsInt32();
        steps[0] = Avx2.Permute2x128(u0, u4, 0x20); steps[4] = Avx2.Permute2x128(u0, u4, 0x31);
        steps[1] = Avx2.Permute2x128(u1, u5, 0x20); steps[5] = Avx2.Permute2x128(u1, u5, 0x31);
        steps[2] = Avx2.Permute2x128(u2, u6, 0x20); steps[6] = Avx2.Permute2x128(u2, u6, 0x31);
        steps[3] = Avx2.Permute2x128(u3, u7, 0x20); steps[7] = Avx2.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>Four bytes of each of the first <paramref name="rows"/> rows (possibly none), zeros for the rest.</summary>
    private static Vector256<sbyte> PartialGroup(sbyte* source, int rowBytes, int rows)
    {
        int* lanes = stackalloc int[GroupRows];
        for (int j = 0; j < GroupRows; j++) lanes[j] = j < rows ? *(int*)(source + (long)j * rowBytes) : 0;
        return Vector256.Load(lanes).AsSByte();
    }

    /// <summary>tile[i · 24 + j] = Σ over blocks of d_x[i] · d_w[j] · Σ q_x[i] · q_w[j], for four input rows.</summary>
    private static void MicroTile(byte* x, float* xd, int k, sbyte* panel, int* compensation, float* weightScales, float* tile)
    {
        int blocks = k / Block;
        new Span<float>(tile, InputRows * PanelRows).Clear();
        for (int b = 0; b < blocks; b++)
        {
            Vector256<int> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
            Vector256<int> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
            byte* xb = x + b * Block;
            sbyte* wb = panel + (long)b * BlockBytes;
            for (int s = 0; s < Steps; s++)
            {
                var w0 = Vector256.Load(wb + s * StepBytes);
                var w1 = Vector256.Load(wb + s * StepBytes + 32);
                var w2 = Vector256.Load(wb + s * StepBytes + 64);
                var x0 = Vector256.Create(*(int*)(xb + 4 * s)).AsByte();
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, x0, w0); a01 = AvxVnni.MultiplyWideningAndAdd(a01, x0, w1); a02 = AvxVnni.MultiplyWideningAndAdd(a02, x0, w2);
                var x1 = Vector256.Create(*(int*)(xb + k + 4 * s)).AsByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, x1, w0); a11 = AvxVnni.MultiplyWideningAndAdd(a11, x1, w1); a12 = AvxVnni.MultiplyWideningAndAdd(a12, x1, w2);
                var x2 = Vector256.Create(*(int*)(xb + 2 * k + 4 * s)).AsByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, x2, w0); a21 = AvxVnni.MultiplyWideningAndAdd(a21, x2, w1); a22 = AvxVnni.MultiplyWideningAndAdd(a22, x2, w2);
                var x3 = Vector256.Create(*(int*)(xb + 3 * k + 4 * s)).AsByte();
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, x3, w0); a31 = AvxVnni.MultiplyWideningAndAdd(a31, x3, w1); a32 = AvxVnni.MultiplyWideningAndAdd(a32, x3, w2);
            }
            int* c = compensation + b * PanelRows;
            float* d = weightScales + b * PanelRows;
            AddScaled(tile, a00, a01, a02, c, d, xd[b]);
            AddScaled(tile + PanelRows, a10, a11, a12, c, d, xd[blocks + b]);
            AddScaled(tile + 2 * PanelRows, a20, a21, a22, c, d, xd[2 * blocks + b]);
            AddScaled(tile + 3 * PanelRows, a30, a31, a32, c, d, xd[3 * blocks + b]);
        }
    }

    /// <summary>One input row's 24 sums of a block: (Σ (q_x + 128) · q_w − 128 · Σ q_w) · (d_w · d_x), added to the tile row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* row, Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, int* compensation, float* weightScales, float inputScale)
    {
        var dx = Vector256.Create(inputScale);
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(s0 - Vector256.Load(compensation)), Vector256.Load(weightScales) * dx, Vector256.Load(row)).Store(row);
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(s1 - Vector256.Load(compensation + 8)), Vector256.Load(weightScales + 8) * dx, Vector256.Load(row + 8)).Store(row + 8);
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(s2 - Vector256.Load(compensation + 16)), Vector256.Load(weightScales + 16) * dx, Vector256.Load(row + 16)).Store(row + 16);
    }

    /// <summary>Each thread's packed panel (values, then compensations, then scales), pinned and grown on demand.</summary>
    private static class PanelScratch
    {
        [ThreadStatic] private static byte[]? t_buffer;

        public static byte[] Rent(long count) => PinnedScratch.Grow(ref t_buffer, count, "a Q8_0 prefill product's weight panel");
    }
}
