namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// How the decode GEMVs share a product's weight rows among the kernel workers: contiguous ranges of whole four-row
/// blocks, one per worker, each at least <see cref="MinBytesPerPart"/> of weights (waking a worker for less costs more
/// than it saves), so both cores stream even the small K/V projections.
/// </summary>
internal static class RowBlockSplit
{
    public const int RowsPerBlock = 4;

    private const long MinBytesPerPart = 48 * 1024;

    /// <summary>Runs <paramref name="rows"/> over weight rows [start, end) of <paramref name="p"/>.</summary>
    public delegate void RowRange(in Product p, int start, int end);

    /// <param name="bytesPerWeight">Stored bytes per weight, to size the parts.</param>
    public static void Run(Product p, int threads, int bytesPerWeight, RowRange rows)
    {
        long bytes = (long)p.N * p.K * bytesPerWeight;
        int blocks = (p.N + RowsPerBlock - 1) / RowsPerBlock;
        int parts = (int)Math.Min(Math.Min(threads, blocks), Math.Max(1, bytes / MinBytesPerPart));
        if (parts <= 1)
        {
            rows(p, 0, p.N);
            return;
        }
        KernelWorkers.Run(parts, part =>
        {
            int start = (int)((long)blocks * part / parts) * RowsPerBlock;
            int end = Math.Min(p.N, (int)((long)blocks * (part + 1) / parts) * RowsPerBlock);
            if (start < end) rows(p, start, end);
        });
    }
}
