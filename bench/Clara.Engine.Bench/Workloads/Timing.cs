using System.Diagnostics;

namespace Clara.Engine.Bench.Workloads;

/// <summary>Seconds of repeated runs: the best (least disturbed by other load) and the median.</summary>
public sealed record Timing(double BestSeconds, double MedianSeconds, int Runs)
{
    /// <summary>One untimed warm-up, then <paramref name="runs"/> timed runs, each after an untimed <paramref name="prepare"/>.</summary>
    public static Timing Measure(int runs, Action run, Action? prepare = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        prepare?.Invoke();
        run();
        var seconds = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            prepare?.Invoke();
            var clock = Stopwatch.StartNew();
            run();
            seconds[i] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(seconds);
        return new Timing(seconds[0], seconds[runs / 2], runs);
    }
}
