namespace Clara.Engine.Backends.Cpu;

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
