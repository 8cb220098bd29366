namespace Clara.Engine.Bench.Workloads;

/// <summary>One contender of a workload timed in rounds: its best wall-clock and process CPU time over the rounds.</summary>
internal sealed class Contender(string name, Action run, Action? prepare = null)
{
    public string Name => name;
    public int Runs { get; private set; }
    public double BestWall { get; private set; } = double.PositiveInfinity;
    public double BestCpu { get; private set; } = double.PositiveInfinity;

    public void Warm()
    {
        for (int i = 0; i < 2; i++) { prepare?.Invoke(); run(); }
    }

    public void Measure()
    {
        prepare?.Invoke();
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        run();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        BestWall = Math.Min(BestWall, wall);
        BestCpu = Math.Min(BestCpu, (process.TotalProcessorTime - cpu).TotalSeconds);
        Runs++;
    }
}
