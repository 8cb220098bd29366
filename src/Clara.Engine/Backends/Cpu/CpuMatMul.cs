using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of the cuBLAS products: y[m, n] = alpha · Σ_k x[m, k] · W[n, k] + beta · y[m, n], fp32 accumulation
/// (beta = 0 never reads y). W keeps the HF [out, in] layout and may be stored F32, BF16 or F16. Up to 16 input
/// rows (decode) stream every weight from memory once through <see cref="WeightStreamingGemv"/>; a thin weight (a LoRA
/// factor: N or K at most <see cref="ThinLimit"/>) is transposed chunk by chunk and multiplied by <see cref="ThinGemm"/>;
/// everything else goes through the cache-blocked <see cref="BroadcastGemm"/>.
/// </summary>
internal static unsafe class CpuMatMul
{
    /// <summary>
    /// Up to this many input rows (decoding, batched or not) the product is a weight stream, bound by memory
    /// bandwidth: each weight is read from memory once and reused from L1/L2 for the other rows.
    /// </summary>
    public const int GemvMaxRows = 16;

    /// <summary>A weight with at most this many rows or columns is cheap to transpose whole.</summary>
    public const int ThinLimit = 64;

    public static void Forward(Tensor input, Tensor weight, Tensor output, float alpha, float beta, int threads)
    {
        var (m, n, k) = MatMulRules.Check(input, weight, output);
        if (m == 0 || n == 0) return;
        if (m > int.MaxValue / Math.Max(1, k)) throw new NotSupportedException($"matmul input {input.Shape} exceeds 2^31 elements");

        Multiply(new Product(
            (float*)Pointer(input), Pointer(weight), weight.DType, (float*)Pointer(output), (int)m, n, k, alpha, beta), threads);
    }

    /// <summary>Runs a checked product on the kernel that suits its shape (also the last step of <see cref="CpuGemm"/>).</summary>
    public static void Multiply(Product product, int threads)
    {
        if (product.M == 0 || product.N == 0) return;
        int m = product.M, n = product.N, k = product.K;
        if (product.WeightKN)
        {
            // Only the cache-blocked kernel reads a [K, N] weight (CpuGemm sends it no other shape).
            if (!BroadcastGemm.TakesWeightKN(m, n, k)) throw new InvalidOperationException($"a [K, N] weight needs the blocked kernel, not {m}×{n}×{k}");
            BroadcastGemm.Run(product, threads);
            return;
        }
        // Thin weights go to ThinGemm from three rows on: below that its transpose costs more than the products.
        if (m <= 2) WeightStreamingGemv.Run(product, threads);
        else if (n <= ThinLimit || k <= ThinLimit) ThinGemm.Run(product, threads);
        else if (m <= GemvMaxRows) WeightStreamingGemv.Run(product, threads);
        else BroadcastGemm.Run(product, threads);
    }

    /// <summary>The CPU buffer's native memory; <see cref="CpuTensor.Bytes"/> has checked the buffer is alive and large enough.</summary>
    internal static byte* Pointer(Tensor tensor) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(CpuTensor.Bytes(tensor)));
}

/// <summary>
/// One y = alpha · x · Wᵀ + beta · y over raw pointers (validated by <see cref="CpuMatMul.Forward"/>). W is [N, K]
/// (HF [out, in]) unless <paramref name="weightKN"/>: then it is stored [K, N] (the product is x · W, as dX = dY · W
/// of a linear layer's backward), which only <see cref="BroadcastGemm"/> reads.
/// </summary>
internal readonly unsafe struct Product(float* x, byte* w, DType weightType, float* y, int m, int n, int k, float alpha, float beta, bool weightKN = false)
{
    public readonly float* X = x;
    public readonly byte* W = w;
    public readonly DType WeightType = weightType;
    public readonly float* Y = y;
    public readonly int M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;
    public readonly bool WeightKN = weightKN;

    /// <summary>Widens <paramref name="count"/> weights of row <paramref name="row"/> from column <paramref name="column"/> into fp32.</summary>
    public void ReadWeights(int row, int column, int count, float* destination) => ReadStored((long)row * K + column, count, destination);

    /// <summary>Widens <paramref name="count"/> consecutive stored weights from element <paramref name="first"/> into fp32.</summary>
    public void ReadStored(long first, int count, float* destination)
    {
        var target = new Span<float>(destination, count);
        switch (WeightType)
        {
            case DType.F32:
                new ReadOnlySpan<float>((float*)W + first, count).CopyTo(target);
                break;
            case DType.BF16:
                IO.BulkConvert.BF16ToFloat32(new ReadOnlySpan<ushort>((ushort*)W + first, count), target);
                break;
            default:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)W + first, count), target);
                break;
        }
    }

    /// <summary>y[index] ← alpha·dot + beta·y[index], without reading y when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(long index, float dot) => Y[index] = Beta == 0f ? Alpha * dot : Alpha * dot + Beta * Y[index];
}

/// <summary>
/// Splits [0, count) into contiguous, <c>grain</c>-aligned ranges, one per thread, and runs them. Small jobs stay on
/// the calling thread: waking a worker costs more than a few hundred thousand multiply-adds.
/// </summary>
internal static class StaticPartition
{
    public static void Run(int count, int grain, int threads, double work, Action<int, int> body)
    {
        const double MinWorkPerThread = 1 << 18;
        int parts = (int)Math.Min(threads, Math.Max(1, work / MinWorkPerThread));
        int grains = (count + grain - 1) / grain;
        parts = Math.Min(parts, grains);
        if (parts <= 1)
        {
            body(0, count);
            return;
        }
        KernelWorkers.Run(parts, part =>
        {
            int start = (int)((long)grains * part / parts) * grain;
            int end = Math.Min(count, (int)((long)grains * (part + 1) / parts) * grain);
            if (start < end) body(start, end);
        });
    }
}

/// <summary>
/// Persistent worker threads for the CPU kernels. A decode step runs a hundred short parallel kernels back to back;
/// waking a sleeping thread-pool worker for each costs 10–40 µs, as much as a small kernel. These workers spin for
/// a short while after each job (so the next one starts at once) and only then block. One job runs at a time; a
/// call that finds the team busy (another backend on another thread, or a nested call) falls back to Parallel.For.
/// </summary>
internal static class KernelWorkers
{
    private static readonly object s_gate = new();
    private static readonly List<Worker> s_workers = [];
    private static readonly Completion s_completion = new();

    /// <summary>Runs <paramref name="body"/>(0 … parts−1): part 0 on the calling thread, the others on workers.</summary>
    public static void Run(int parts, Action<int> body)
    {
        if (parts <= 1)
        {
            if (parts == 1) body(0);
            return;
        }
        // Busy with another caller's job, or called from inside one of our own jobs (the lock is re-entrant).
        if (Monitor.IsEntered(s_gate) || !Monitor.TryEnter(s_gate))
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, body);
            return;
        }
        try
        {
            while (s_workers.Count < parts - 1) s_workers.Add(new Worker(s_workers.Count + 1, s_completion));
            s_completion.Expect(parts - 1);
            for (int i = 1; i < parts; i++) s_workers[i - 1].Start(body, i);
            Exception? failure = null;
            try
            {
                body(0);
            }
            catch (Exception e)
            {
                failure = e;
            }
            s_completion.Wait();
            for (int i = 1; i < parts; i++) failure ??= s_workers[i - 1].TakeFailure();
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>How long a worker (or the caller, waiting for the workers) spins before it blocks: 200 µs.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;

    private static void SpinUntil(Func<bool> condition)
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        while (!condition() && System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(16);
    }

    /// <summary>Counts the workers still busy with the current job; never disposed, so a late signal is always safe.</summary>
    private sealed class Completion
    {
        private readonly ManualResetEventSlim _done = new(false);
        private readonly Func<bool> _allSignalled;
        private int _pending;

        public Completion() => _allSignalled = () => Volatile.Read(ref _pending) == 0;

        public void Expect(int workers)
        {
            _done.Reset();
            Volatile.Write(ref _pending, workers);
        }

        public void Signal()
        {
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }

        public void Wait()
        {
            SpinUntil(_allSignalled);
            _done.Wait();
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private readonly Func<bool> _woken;
        private readonly Completion _completion;
        private volatile Action<int>? _body;
        private int _part;
        private Exception? _failure;

        public Worker(int index, Completion completion)
        {
            _completion = completion;
            _woken = () => _wake.CurrentCount > 0;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"clara-cpu-{index}" };
            thread.Start();
        }

        public void Start(Action<int> body, int part)
        {
            _part = part;
            _body = body;
            _wake.Release();
        }

        public Exception? TakeFailure()
        {
            var failure = _failure;
            _failure = null;
            return failure;
        }

        private void Loop()
        {
            while (true)
            {
                // Spin briefly for the next job, then sleep on the semaphore.
                SpinUntil(_woken);
                _wake.Wait();
                var body = _body!;
                _body = null;
                try
                {
                    body(_part);
                }
                catch (Exception e)
                {
                    _failure = e;
                }
                _completion.Signal();
            }
        }
    }
}

/// <summary>
/// Up to 16 input rows (decoding): eight weight rows at a time are dotted with each input row, widened in registers
/// when stored as BF16. The first input row streams the eight rows from memory (eight streams and FMA chains in
/// flight); the others find them in L1/L2, so every weight crosses the memory bus once.
/// </summary>
internal static unsafe class WeightStreamingGemv
{
    private const int RowsPerStep = 8;

    public static void Run(Product p, int threads)
    {
        // AVX2 + FMA machines (every x86-64 this runs on in practice) stream through the fused 256-bit kernel.
        if (StreamedGemv.IsSupported)
        {
            StreamedGemv.Run(p, threads);
            return;
        }
        var product = p;
        StaticPartition.Run(p.N, RowsPerStep, threads, (double)p.N * p.K * p.M, (start, end) =>
        {
            switch (product.WeightType)
            {
                case DType.F32: RunRows<F32Weights>(product, start, end); break;
                case DType.BF16: RunRows<Bf16Weights>(product, start, end); break;
                default: RunWidened(product, start, end); break;
            }
        });
    }

    private static void RunRows<TFormat>(in Product p, int start, int end) where TFormat : IWeightFormat
    {
        long rowBytes = (long)p.K * TFormat.Size;
        int n = start;
        for (; n + RowsPerStep <= end; n += RowsPerStep)
        {
            byte* w = p.W + n * rowBytes;
            for (int i = 0; i < p.M; i++)
            {
                var sums = Dot8<TFormat>(p.X + (long)i * p.K, w, rowBytes, p.K);
                for (int r = 0; r < RowsPerStep; r++) p.Store((long)i * p.N + n + r, sums[r]);
            }
        }
        for (; n < end; n++)
            for (int i = 0; i < p.M; i++)
                p.Store((long)i * p.N + n, Dot1<TFormat>(p.X + (long)i * p.K, p.W + n * rowBytes, p.K));
    }

    /// <summary>F16 rows are converted into a scratch row first (F16 is rare; BF16 and F32 are the hot paths).</summary>
    private static void RunWidened(in Product p, int start, int end)
    {
        var row = GC.AllocateUninitializedArray<float>(p.K);
        fixed (float* r = row)
            for (int n = start; n < end; n++)
            {
                p.ReadWeights(n, 0, p.K, r);
                for (int i = 0; i < p.M; i++)
                    p.Store((long)i * p.N + n, TensorPrimitives.Dot(new ReadOnlySpan<float>(p.X + (long)i * p.K, p.K), row));
            }
    }

    /// <summary>Dot products of one input row with eight consecutive weight rows.</summary>
    private static Sums8 Dot8<TFormat>(float* x, byte* w, long rowBytes, int k) where TFormat : IWeightFormat
    {
        byte* w0 = w, w1 = w + rowBytes, w2 = w + 2 * rowBytes, w3 = w + 3 * rowBytes;
        byte* w4 = w + 4 * rowBytes, w5 = w + 5 * rowBytes, w6 = w + 6 * rowBytes, w7 = w + 7 * rowBytes;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        int c = 0;
        // Two vectors per row per step: a whole 64-byte line of each BF16 row, more loads in flight for F32.
        for (; c + 32 <= k; c += 32)
        {
            var v = Vector512.Load(x + c);
            var u = Vector512.Load(x + c + 16);
            a0 = Vector512.FusedMultiplyAdd(TFormat.Load(w0, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w0, c), v, a0));
            a1 = Vector512.FusedMultiplyAdd(TFormat.Load(w1, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w1, c), v, a1));
            a2 = Vector512.FusedMultiplyAdd(TFormat.Load(w2, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w2, c), v, a2));
            a3 = Vector512.FusedMultiplyAdd(TFormat.Load(w3, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w3, c), v, a3));
            a4 = Vector512.FusedMultiplyAdd(TFormat.Load(w4, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w4, c), v, a4));
            a5 = Vector512.FusedMultiplyAdd(TFormat.Load(w5, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w5, c), v, a5));
            a6 = Vector512.FusedMultiplyAdd(TFormat.Load(w6, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w6, c), v, a6));
            a7 = Vector512.FusedMultiplyAdd(TFormat.Load(w7, c + 16), u, Vector512.FusedMultiplyAdd(TFormat.Load(w7, c), v, a7));
        }
        for (; c + 16 <= k; c += 16)
        {
            var v = Vector512.Load(x + c);
            a0 = Vector512.FusedMultiplyAdd(TFormat.Load(w0, c), v, a0);
            a1 = Vector512.FusedMultiplyAdd(TFormat.Load(w1, c), v, a1);
            a2 = Vector512.FusedMultiplyAdd(TFormat.Load(w2, c), v, a2);
            a3 = Vector512.FusedMultiplyAdd(TFormat.Load(w3, c), v, a3);
            a4 = Vector512.FusedMultiplyAdd(TFormat.Load(w4, c), v, a4);
            a5 = Vector512.FusedMultiplyAdd(TFormat.Load(w5, c), v, a5);
            a6 = Vector512.FusedMultiplyAdd(TFormat.Load(w6, c), v, a6);
            a7 = Vector512.FusedMultiplyAdd(TFormat.Load(w7, c), v, a7);
        }
        var sums = new Sums8(Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3),
            Vector512.Sum(a4), Vector512.Sum(a5), Vector512.Sum(a6), Vector512.Sum(a7));
        for (; c < k; c++)
        {
            float xc = x[c];
            sums[0] += TFormat.Scalar(w0, c) * xc; sums[1] += TFormat.Scalar(w1, c) * xc;
            sums[2] += TFormat.Scalar(w2, c) * xc; sums[3] += TFormat.Scalar(w3, c) * xc;
            sums[4] += TFormat.Scalar(w4, c) * xc; sums[5] += TFormat.Scalar(w5, c) * xc;
            sums[6] += TFormat.Scalar(w6, c) * xc; sums[7] += TFormat.Scalar(w7, c) * xc;
        }
        return sums;
    }

    private static float Dot1<TFormat>(float* x, byte* w, int k) where TFormat : IWeightFormat
    {
        Vector512<float> a = default;
        int c = 0;
        for (; c + 16 <= k; c += 16) a = Vector512.FusedMultiplyAdd(TFormat.Load(w, c), Vector512.Load(x + c), a);
        float sum = Vector512.Sum(a);
        for (; c < k; c++) sum += TFormat.Scalar(w, c) * x[c];
        return sum;
    }

    [InlineArray(8)]
    private struct Sums8
    {
        private float _first;

        public Sums8(float s0, float s1, float s2, float s3, float s4, float s5, float s6, float s7)
        {
            this[0] = s0; this[1] = s1; this[2] = s2; this[3] = s3; this[4] = s4; this[5] = s5; this[6] = s6; this[7] = s7;
        }
    }
}

/// <summary>How one weight storage type reads as fp32 inside a kernel: sixteen at a time (widened in registers) or one.</summary>
internal unsafe interface IWeightFormat
{
    static abstract int Size { get; }
    static abstract Vector512<float> Load(byte* row, int column);
    static abstract float Scalar(byte* row, int column);
}

internal readonly unsafe struct F32Weights : IWeightFormat
{
    public static int Size => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* row, int column) => Vector512.Load((float*)row + column);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column) => ((float*)row)[column];
}

/// <summary>A bf16 value is the upper half of an fp32 bit pattern: zero-extend to 32 bits and shift left by 16.</summary>
internal readonly unsafe struct Bf16Weights : IWeightFormat
{
    public static int Size => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* row, int column) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)row + column).ToVector512()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column) => FloatBits.BF16ToFloat(((ushort*)row)[column]);
}

/// <summary>
/// More than <see cref="CpuMatMul.GemvMaxRows"/> input rows (prefill, compression): a cache-blocked product whose
/// micro-kernel keeps a tile of 32 input rows × 12 weight rows in 24 vector accumulators, the vectors running along
/// the input rows. Each step loads two vectors of packed
/// inputs (one column of x, 32 rows) and broadcasts 12 weights, so W is never transposed: its rows are only copied
/// (or widened from BF16/F16) into a 24 KB panel that stays in L1 while the input panels of one row block stream
/// past it from L2. Inputs are packed once per K block into column-major panels; K runs in blocks of
/// <see cref="KBlock"/> and y accumulates across them. Threads split the input rows when there are enough of them
/// (each input packed once), otherwise the weight rows. A weight stored [K, N] (<see cref="Product.WeightKN"/>: dX = dY·W
/// in a backward pass) is read the same way without being transposed first: its panel is packed column-major (twelve
/// consecutive weights per K step, one contiguous copy each), and the micro-kernel only reads it with other strides,
/// so the sums are the very ones of the transposed weight.
/// </summary>
internal static unsafe class BroadcastGemm
{
    /// <summary>Whether <see cref="CpuMatMul.Multiply"/> would run this shape here (so a [K, N] weight may be sent as stored).</summary>
    public static bool TakesWeightKN(int m, int n, int k) =>
        m > CpuMatMul.GemvMaxRows && n > CpuMatMul.ThinLimit && k > CpuMatMul.ThinLimit;

    private const int Lanes = 16;
    private const int RowTile = 2 * Lanes;   // input rows per micro-tile
    private const int WeightTile = 12;       // weight rows per micro-tile
    private const int KBlock = 512;          // a 12 × 512 weight panel is 24 KB: it stays in L1 while input panels stream
    private const int RowBlock = 256;        // input rows packed together (RowBlock × KBlock floats = 512 KB, in L2)

    public static void Run(Product p, int threads)
    {
        var product = p;
        double work = (double)p.M * p.N * p.K;
        int weightTiles = (p.N + WeightTile - 1) / WeightTile;
        // Split the input rows when each thread gets whole row blocks: every input is then packed once. Otherwise
        // split the weight rows, each thread packing all (few) inputs and reading its own part of W.
        if (p.M >= RowBlock * threads || weightTiles < 2 * threads)
            StaticPartition.Run(p.M, RowTile, threads, work, (start, end) => RunBlock(product, start, end, 0, product.N));
        else
            StaticPartition.Run(p.N, WeightTile, threads, work, (start, end) => RunBlock(product, 0, product.M, start, end));
    }

    private static void RunBlock(in Product p, int m0, int m1, int n0, int n1)
    {
        using var scratch = Scratch.Rent();
        float* packedX = scratch.PackedInputs, panel = scratch.WeightPanel, tile = scratch.Tile;
        for (int k0 = 0; k0 < p.K; k0 += KBlock)
        {
            int kc = Math.Min(KBlock, p.K - k0);
            bool firstBlock = k0 == 0;
            for (int mb = m0; mb < m1; mb += RowBlock)
            {
                int mc = Math.Min(RowBlock, m1 - mb);
                PackInputs(p, mb, mc, k0, kc, packedX);
                for (int n = n0; n < n1; n += WeightTile)
                {
                    int nr = Math.Min(WeightTile, n1 - n);
                    if (p.WeightKN)
                    {
                        LoadPanelKN(p, n, nr, k0, kc, panel);
                        for (int i = 0; i < mc; i += RowTile)
                        {
                            MicroKernel<ColumnMajorPanel>(packedX + (long)i * kc, panel, kc, tile);
                            StoreTile(p, tile, mb + i, Math.Min(RowTile, mc - i), n, nr, firstBlock);
                        }
                        continue;
                    }
                    LoadPanel(p, n, nr, k0, kc, panel);
                    for (int i = 0; i < mc; i += RowTile)
                    {
                        MicroKernel<RowMajorPanel>(packedX + (long)i * kc, panel, kc, tile);
                        StoreTile(p, tile, mb + i, Math.Min(RowTile, mc - i), n, nr, firstBlock);
                    }
                }
            }
        }
    }

    /// <summary>x[mb.., k0..] → panels of 32 rows, column-major inside (packed[c·32 + row]); missing rows are zero.</summary>
    private static void PackInputs(in Product p, int mb, int mc, int k0, int kc, float* packed)
    {
        for (int i = 0; i < mc; i += RowTile)
        {
            int rows = Math.Min(RowTile, mc - i);
            float* dst = packed + (long)i * kc;
            for (int r = 0; r < rows; r++)
            {
                float* src = p.X + (long)(mb + i + r) * p.K + k0;
                for (int c = 0; c < kc; c++) dst[c * RowTile + r] = src[c];
            }
            for (int r = rows; r < RowTile; r++)
                for (int c = 0; c < kc; c++) dst[c * RowTile + r] = 0f;
        }
    }

    /// <summary>W rows [n, n+nr) × columns [k0, k0+kc) → fp32 panel rows of stride <see cref="KBlock"/>; missing rows are zero.</summary>
    private static void LoadPanel(in Product p, int n, int nr, int k0, int kc, float* panel)
    {
        for (int j = 0; j < nr; j++) p.ReadWeights(n + j, k0, kc, panel + j * KBlock);
        for (int j = nr; j < WeightTile; j++) new Span<float>(panel + j * KBlock, kc).Clear();
    }

    /// <summary>
    /// Columns [n, n+nr) × rows [k0, k0+kc) of a [K, N] weight → a column-major panel (panel[c·12 + j] = W[k0 + c, n + j]),
    /// missing columns zero.
    /// </summary>
    private static void LoadPanelKN(in Product p, int n, int nr, int k0, int kc, float* panel)
    {
        if (nr == WeightTile && p.WeightType is DType.F32 or DType.BF16)
        {
            // The hot cases: one 8-wide and one 4-wide copy (widened in registers for BF16) per K step.
            if (p.WeightType == DType.F32)
            {
                float* src = (float*)p.W + (long)k0 * p.N + n;
                for (int c = 0; c < kc; c++, src += p.N)
                {
                    Vector256.Load(src).Store(panel + c * WeightTile);
                    Vector128.Load(src + 8).Store(panel + c * WeightTile + 8);
                }
            }
            else
            {
                ushort* src = (ushort*)p.W + (long)k0 * p.N + n;
                for (int c = 0; c < kc; c++, src += p.N)
                {
                    float* dst = panel + c * WeightTile;
                    Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(src).ToVector256()), 16).AsSingle().Store(dst);
                    for (int j = 8; j < WeightTile; j++) dst[j] = FloatBits.BF16ToFloat(src[j]);
                }
            }
            return;
        }
        for (int c = 0; c < kc; c++)
        {
            float* dst = panel + c * WeightTile;
            p.ReadStored((long)(k0 + c) * p.N + n, nr, dst);
            for (int j = nr; j < WeightTile; j++) dst[j] = 0f;
        }
    }

    /// <summary>Where weight (j, c) of a K block sits in a panel: <c>c · C + j · J</c>.</summary>
    private interface IPanelLayout
    {
        static abstract int C { get; }
        static abstract int J { get; }
    }

    /// <summary>A [N, K] weight's rows copied as they are: row j of the tile at stride <see cref="KBlock"/>.</summary>
    private readonly struct RowMajorPanel : IPanelLayout
    {
        public static int C => 1;
        public static int J => KBlock;
    }

    /// <summary>A [K, N] weight's rows copied as they are: the tile's twelve weights of one K step side by side.</summary>
    private readonly struct ColumnMajorPanel : IPanelLayout
    {
        public static int C => WeightTile;
        public static int J => 1;
    }

    /// <summary>tile[j·32 + r] = Σ_c x[r, c] · W[j, c] over one K block: 24 accumulators, two input vectors, twelve broadcasts per step.</summary>
    private static void MicroKernel<TLayout>(float* x, float* w, int kc, float* tile) where TLayout : struct, IPanelLayout
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        Vector512<float> c06 = default, c07 = default, c08 = default, c09 = default, c10 = default, c11 = default;
        Vector512<float> d00 = default, d01 = default, d02 = default, d03 = default, d04 = default, d05 = default;
        Vector512<float> d06 = default, d07 = default, d08 = default, d09 = default, d10 = default, d11 = default;
        for (int c = 0; c < kc; c++)
        {
            var a = Vector512.Load(x + c * RowTile);
            var b = Vector512.Load(x + c * RowTile + Lanes);
            float* wc = w + c * TLayout.C;
            Vector512<float> s;
            s = Vector512.Create(wc[0 * TLayout.J]); c00 = Vector512.FusedMultiplyAdd(a, s, c00); d00 = Vector512.FusedMultiplyAdd(b, s, d00);
            s = Vector512.Create(wc[1 * TLayout.J]); c01 = Vector512.FusedMultiplyAdd(a, s, c01); d01 = Vector512.FusedMultiplyAdd(b, s, d01);
            s = Vector512.Create(wc[2 * TLayout.J]); c02 = Vector512.FusedMultiplyAdd(a, s, c02); d02 = Vector512.FusedMultiplyAdd(b, s, d02);
            s = Vector512.Create(wc[3 * TLayout.J]); c03 = Vector512.FusedMultiplyAdd(a, s, c03); d03 = Vector512.FusedMultiplyAdd(b, s, d03);
            s = Vector512.Create(wc[4 * TLayout.J]); c04 = Vector512.FusedMultiplyAdd(a, s, c04); d04 = Vector512.FusedMultiplyAdd(b, s, d04);
            s = Vector512.Create(wc[5 * TLayout.J]); c05 = Vector512.FusedMultiplyAdd(a, s, c05); d05 = Vector512.FusedMultiplyAdd(b, s, d05);
            s = Vector512.Create(wc[6 * TLayout.J]); c06 = Vector512.FusedMultiplyAdd(a, s, c06); d06 = Vector512.FusedMultiplyAdd(b, s, d06);
            s = Vector512.Create(wc[7 * TLayout.J]); c07 = Vector512.FusedMultiplyAdd(a, s, c07); d07 = Vector512.FusedMultiplyAdd(b, s, d07);
            s = Vector512.Create(wc[8 * TLayout.J]); c08 = Vector512.FusedMultiplyAdd(a, s, c08); d08 = Vector512.FusedMultiplyAdd(b, s, d08);
            s = Vector512.Create(wc[9 * TLayout.J]); c09 = Vector512.FusedMultiplyAdd(a, s, c09); d09 = Vector512.FusedMultiplyAdd(b, s, d09);
            s = Vector512.Create(wc[10 * TLayout.J]); c10 = Vector512.FusedMultiplyAdd(a, s, c10); d10 = Vector512.FusedMultiplyAdd(b, s, d10);
            s = Vector512.Create(wc[11 * TLayout.J]); c11 = Vector512.FusedMultiplyAdd(a, s, c11); d11 = Vector512.FusedMultiplyAdd(b, s, d11);
        }
        c00.Store(tile + 0 * RowTile); d00.Store(tile + 0 * RowTile + Lanes);
        c01.Store(tile + 1 * RowTile); d01.Store(tile + 1 * RowTile + Lanes);
        c02.Store(tile + 2 * RowTile); d02.Store(tile + 2 * RowTile + Lanes);
        c03.Store(tile + 3 * RowTile); d03.Store(tile + 3 * RowTile + Lanes);
        c04.Store(tile + 4 * RowTile); d04.Store(tile + 4 * RowTile + Lanes);
        c05.Store(tile + 5 * RowTile); d05.Store(tile + 5 * RowTile + Lanes);
        c06.Store(tile + 6 * RowTile); d06.Store(tile + 6 * RowTile + Lanes);
        c07.Store(tile + 7 * RowTile); d07.Store(tile + 7 * RowTile + Lanes);
        c08.Store(tile + 8 * RowTile); d08.Store(tile + 8 * RowTile + Lanes);
        c09.Store(tile + 9 * RowTile); d09.Store(tile + 9 * RowTile + Lanes);
        c10.Store(tile + 10 * RowTile); d10.Store(tile + 10 * RowTile + Lanes);
        c11.Store(tile + 11 * RowTile); d11.Store(tile + 11 * RowTile + Lanes);
    }

    /// <summary>Writes the valid rows × columns of a tile (stored weight-row-major) into y, row by row.</summary>
    private static void StoreTile(in Product p, float* tile, int m, int rows, int n, int columns, bool firstBlock)
    {
        float alpha = p.Alpha, beta = p.Beta;
        for (int r = 0; r < rows; r++)
        {
            float* y = p.Y + (long)(m + r) * p.N + n;
            float* t = tile + r;
            if (!firstBlock)
                for (int j = 0; j < columns; j++) y[j] += alpha * t[j * RowTile];
            else if (beta == 0f)
                for (int j = 0; j < columns; j++) y[j] = alpha * t[j * RowTile];
            else
                for (int j = 0; j < columns; j++) y[j] = alpha * t[j * RowTile] + beta * y[j];
        }
    }

    /// <summary>Per-thread 64-byte aligned buffers, reused across calls on the same thread.</summary>
    private sealed class Scratch : IDisposable
    {
        private const long PackedFloats = (long)RowBlock * KBlock;
        private const long PanelFloats = (long)WeightTile * KBlock;
        private const long TileFloats = (long)WeightTile * RowTile;

        [ThreadStatic] private static Scratch? t_cached;
        private readonly float* _memory;

        private Scratch()
        {
            _memory = (float*)NativeMemory.AlignedAlloc((nuint)((PackedFloats + PanelFloats + TileFloats) * sizeof(float)), 64);
        }

        ~Scratch() => NativeMemory.AlignedFree(_memory);

        public float* PackedInputs => _memory;
        public float* WeightPanel => _memory + PackedFloats;
        public float* Tile => _memory + PackedFloats + PanelFloats;

        /// <summary>This thread's buffers; a nested or concurrent use on the same thread would get its own.</summary>
        public static Scratch Rent()
        {
            var scratch = t_cached ?? new Scratch();
            t_cached = null;
            return scratch;
        }

        public void Dispose() => t_cached = this;
    }
}

/// <summary>
/// A thin weight (N or K small, as LoRA's A [r, in] and B [out, r] are): its rows are transposed into a per-thread
/// [K, columns] buffer and <see cref="RowBroadcastGemm"/> runs the input rows against it. No input packing, and y
/// is written with whole-vector stores. Many input rows (compression): threads split the rows and each transposes
/// the whole (small) weight, so every output row is written in one sequential pass. Few rows (decoding): threads
/// split the output columns, in chunks of <see cref="ChunkColumns"/>, and each transposes only its own chunks.
/// </summary>
internal static unsafe class ThinGemm
{
    private const int ChunkColumns = 64;
    private const int RowsPerThreadForRowSplit = 64;

    public static void Run(Product p, int threads)
    {
        var product = p;
        int chunks = (p.N + ChunkColumns - 1) / ChunkColumns;
        double work = (double)p.M * p.N * p.K;
        if (p.M >= RowsPerThreadForRowSplit * threads || chunks < 2 * threads)
            StaticPartition.Run(p.M, RowBroadcastGemm.RowTile, threads, work, (start, end) => RunBlock(product, start, end, 0, product.N, product.N));
        else
            StaticPartition.Run(p.N, ChunkColumns, threads, work, (start, end) => RunBlock(product, 0, product.M, start, end, ChunkColumns));
    }

    private static void RunBlock(in Product p, int m0, int m1, int n0, int n1, int chunkColumns)
    {
        var scratch = Scratch((long)p.K * RowBroadcastGemm.PaddedColumns(chunkColumns));
        fixed (float* wt = scratch)
            for (int c0 = n0; c0 < n1; c0 += chunkColumns)
            {
                int width = Math.Min(chunkColumns, n1 - c0), padded = RowBroadcastGemm.PaddedColumns(width);
                Transpose(p, c0, width, padded, wt);
                RowBroadcastGemm.Multiply(p.X + (long)m0 * p.K, p.K, wt, padded, p.Y + (long)m0 * p.N + c0, p.N,
                    m1 - m0, width, p.K, p.Alpha, p.Beta);
            }
    }

    /// <summary>wt[c, j] = W[first + j, c] for j &lt; width; columns width … padded are zero.</summary>
    private static void Transpose(in Product p, int first, int width, int padded, float* wt)
    {
        long k = p.K;
        switch (p.WeightType)
        {
            case DType.F32:
                for (int j = 0; j < width; j++)
                {
                    float* row = (float*)p.W + (first + j) * k;
                    for (int c = 0; c < k; c++) wt[c * padded + j] = row[c];
                }
                break;
            case DType.BF16:
                for (int j = 0; j < width; j++)
                {
                    ushort* row = (ushort*)p.W + (first + j) * k;
                    for (int c = 0; c < k; c++) wt[c * padded + j] = FloatBits.BF16ToFloat(row[c]);
                }
                break;
            default:
                for (int j = 0; j < width; j++)
                {
                    Half* row = (Half*)p.W + (first + j) * k;
                    for (int c = 0; c < k; c++) wt[c * padded + j] = (float)row[c];
                }
                break;
        }
        for (int c = 0; c < k; c++)
            for (int j = width; j < padded; j++) wt[c * padded + j] = 0f;
    }

    [ThreadStatic] private static float[]? t_scratch;

    /// <summary>This thread's transpose buffer, grown to <paramref name="floats"/> when needed.</summary>
    private static float[] Scratch(long floats)
    {
        if (floats > Array.MaxLength) throw new NotSupportedException($"a thin matmul needs {floats} floats of scratch");
        if (t_scratch is null || t_scratch.Length < floats) t_scratch = new float[floats];
        return t_scratch;
    }
}

/// <summary>
/// y[i, j] = alpha · Σ_c x[i, c] · wt[c, j] + beta · y[i, j] (beta = 0 never reads y), single-threaded, for an
/// operand already laid out [K, N] (a transposed weight, or attention's values). Vectors run along j: a tile of
/// 8 rows × 32 columns lives in 16 accumulators; each step loads two vectors of wt and broadcasts 8 values of x.
/// wt must be readable up to <see cref="PaddedColumns"/>(n) columns in every row; only n columns are stored.
/// </summary>
internal static unsafe class RowBroadcastGemm
{
    public const int RowTile = 8;
    private const int Lanes = 16;

    public static int PaddedColumns(int n) => (n + Lanes - 1) / Lanes * Lanes;

    public static void Multiply(float* x, long xStride, float* wt, long wtStride, float* y, long yStride,
        int m, int n, int k, float alpha, float beta)
    {
        for (int i = 0; i < m; i += RowTile)
        {
            int rows = Math.Min(RowTile, m - i);
            // Rows past the end repeat the last real row: the tile stays branch-free and those results are dropped.
            var r = new Rows(x, xStride, i, m);
            int j = 0;
            for (; j + 2 * Lanes <= n; j += 2 * Lanes) Tile32(r, wt + j, wtStride, k, y + i * yStride + j, yStride, rows, alpha, beta);
            for (; j < n; j += Lanes) Tile16(r, wt + j, wtStride, k, y + i * yStride + j, yStride, rows, Math.Min(Lanes, n - j), alpha, beta);
        }
    }

    /// <summary>The eight input rows of one tile.</summary>
    private readonly struct Rows
    {
        public readonly float* R0, R1, R2, R3, R4, R5, R6, R7;

        public Rows(float* x, long stride, int first, int count)
        {
            float* Row(int i) => x + Math.Min(first + i, count - 1) * stride;
            R0 = Row(0); R1 = Row(1); R2 = Row(2); R3 = Row(3); R4 = Row(4); R5 = Row(5); R6 = Row(6); R7 = Row(7);
        }
    }

    private static void Tile32(in Rows x, float* wt, long wtStride, int k, float* y, long yStride, int rows, float alpha, float beta)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        float* x0 = x.R0, x1 = x.R1, x2 = x.R2, x3 = x.R3, x4 = x.R4, x5 = x.R5, x6 = x.R6, x7 = x.R7;
        float* w = wt;
        for (int c = 0; c < k; c++, w += wtStride)
        {
            var u = Vector512.Load(w);
            var v = Vector512.Load(w + Lanes);
            Vector512<float> s;
            s = Vector512.Create(x0[c]); a0 = Vector512.FusedMultiplyAdd(u, s, a0); b0 = Vector512.FusedMultiplyAdd(v, s, b0);
            s = Vector512.Create(x1[c]); a1 = Vector512.FusedMultiplyAdd(u, s, a1); b1 = Vector512.FusedMultiplyAdd(v, s, b1);
            s = Vector512.Create(x2[c]); a2 = Vector512.FusedMultiplyAdd(u, s, a2); b2 = Vector512.FusedMultiplyAdd(v, s, b2);
            s = Vector512.Create(x3[c]); a3 = Vector512.FusedMultiplyAdd(u, s, a3); b3 = Vector512.FusedMultiplyAdd(v, s, b3);
            s = Vector512.Create(x4[c]); a4 = Vector512.FusedMultiplyAdd(u, s, a4); b4 = Vector512.FusedMultiplyAdd(v, s, b4);
            s = Vector512.Create(x5[c]); a5 = Vector512.FusedMultiplyAdd(u, s, a5); b5 = Vector512.FusedMultiplyAdd(v, s, b5);
            s = Vector512.Create(x6[c]); a6 = Vector512.FusedMultiplyAdd(u, s, a6); b6 = Vector512.FusedMultiplyAdd(v, s, b6);
            s = Vector512.Create(x7[c]); a7 = Vector512.FusedMultiplyAdd(u, s, a7); b7 = Vector512.FusedMultiplyAdd(v, s, b7);
        }
        Store(y, a0, b0, alpha, beta);
        if (rows > 1) Store(y + yStride, a1, b1, alpha, beta);
        if (rows > 2) Store(y + 2 * yStride, a2, b2, alpha, beta);
        if (rows > 3) Store(y + 3 * yStride, a3, b3, alpha, beta);
        if (rows > 4) Store(y + 4 * yStride, a4, b4, alpha, beta);
        if (rows > 5) Store(y + 5 * yStride, a5, b5, alpha, beta);
        if (rows > 6) Store(y + 6 * yStride, a6, b6, alpha, beta);
        if (rows > 7) Store(y + 7 * yStride, a7, b7, alpha, beta);
    }

    private static void Tile16(in Rows x, float* wt, long wtStride, int k, float* y, long yStride, int rows, int columns, float alpha, float beta)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        float* x0 = x.R0, x1 = x.R1, x2 = x.R2, x3 = x.R3, x4 = x.R4, x5 = x.R5, x6 = x.R6, x7 = x.R7;
        float* w = wt;
        for (int c = 0; c < k; c++, w += wtStride)
        {
            var u = Vector512.Load(w);
            a0 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x0[c]), a0);
            a1 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x1[c]), a1);
            a2 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x2[c]), a2);
            a3 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x3[c]), a3);
            a4 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x4[c]), a4);
            a5 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x5[c]), a5);
            a6 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x6[c]), a6);
            a7 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x7[c]), a7);
        }
        Store(y, a0, columns, alpha, beta);
        if (rows > 1) Store(y + yStride, a1, columns, alpha, beta);
        if (rows > 2) Store(y + 2 * yStride, a2, columns, alpha, beta);
        if (rows > 3) Store(y + 3 * yStride, a3, columns, alpha, beta);
        if (rows > 4) Store(y + 4 * yStride, a4, columns, alpha, beta);
        if (rows > 5) Store(y + 5 * yStride, a5, columns, alpha, beta);
        if (rows > 6) Store(y + 6 * yStride, a6, columns, alpha, beta);
        if (rows > 7) Store(y + 7 * yStride, a7, columns, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> low, Vector512<float> high, float alpha, float beta)
    {
        Store(y, low, Lanes, alpha, beta);
        Store(y + Lanes, high, Lanes, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> sum, int columns, float alpha, float beta)
    {
        if (columns == Lanes)
        {
            var value = sum * alpha;
            if (beta != 0f) value = Vector512.FusedMultiplyAdd(Vector512.Load(y), Vector512.Create(beta), value);
            value.Store(y);
            return;
        }
        // A partial vector goes through the stack so nothing past the row's last column is read or written.
        float* lanes = stackalloc float[Lanes];
        (sum * alpha).Store(lanes);
        for (int j = 0; j < columns; j++) y[j] = beta == 0f ? lanes[j] : lanes[j] + beta * y[j];
    }
}
