using System.CommandLine;
using System.Diagnostics;
using Clara.CommandLine;
using Clara.Engine.Backends.Cpu;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>workers</c>: what handing a job to the CPU backend's kernel workers costs, without any kernel: a decode step
/// runs about a hundred short parallel products (20–80 µs each) with a little serial work between them, so a few
/// microseconds of fork/join or of a late-starting worker are a visible share of it. Reports, per job, the round trip
/// of an empty two-part job and how late the worker's part starts after the caller's, with a given gap of serial work
/// between jobs (0 = back to back; decode's gaps are a few µs). Example: <c>workers --gap-us 0,5,50,500</c>.
/// </summary>
public static class WorkersCommand
{
    private static readonly Option<string> GapsOption = Options.Text("--gap-us", "LIST", "0,5,50,500",
        "microseconds of serial work between jobs, comma-separated");
    private static readonly Option<double> WorkOption = Options.Double("--work-us", "US", 0, "microseconds each part of a job busy-waits (a kernel's share)", min: 0);
    private static readonly Option<int> JobsOption = Options.Int("--jobs", "N", 20000, "jobs per gap", min: 10);

    public static Command Create() =>
        new Command("workers", "fork/join cost of the CPU kernel workers: an empty two-part job's round trip and the worker's start delay, as one JSON object")
        {
            GapsOption, WorkOption, JobsOption,
        }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        var gaps = p.GetValue(GapsOption)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(double.Parse).ToArray();
        int jobs = p.GetValue(JobsOption);
        double work = p.GetValue(WorkOption);
        JsonReport.Print(j =>
        {
            j.WriteNumber("jobs", jobs);
            j.WriteStartArray("gaps");
            foreach (double gap in gaps)
            {
                Measure(gap, work, jobs / 10); // warm-up: workers created, code at its final tier
                var (roundTrip, lateStart) = Measure(gap, work, jobs);
                j.WriteStartObject();
                j.WriteNumber("gap_us", gap);
                j.WriteNumber("work_us", work);
                j.WriteNumber("late_over_20us", lateStart.Count(x => x > 20));
                j.WriteNumber("late_over_20us_total_us", Math.Round(lateStart.Where(x => x > 20).Sum()));
                WritePercentiles(j, "round_trip_us", roundTrip);
                WritePercentiles(j, "worker_late_us", lateStart);
                j.WriteEndObject();
            }
            j.WriteEndArray();
        });
        return 0;
    }

    private static (double[] RoundTrip, double[] LateStart) Measure(double gapMicroseconds, double workMicroseconds, int jobs)
    {
        long gapTicks = (long)(gapMicroseconds * Stopwatch.Frequency / 1e6);
        long workTicks = (long)(workMicroseconds * Stopwatch.Frequency / 1e6);
        double usPerTick = 1e6 / Stopwatch.Frequency;
        var roundTrip = new double[jobs];
        var late = new double[jobs];
        var started = new long[2];
        Action<int> body = part =>
        {
            long now = Stopwatch.GetTimestamp();
            started[part] = now;
            while (Stopwatch.GetTimestamp() < now + workTicks) { }
        };
        for (int i = 0; i < jobs; i++)
        {
            long gapEnd = Stopwatch.GetTimestamp() + gapTicks;
            while (Stopwatch.GetTimestamp() < gapEnd) { }
            long before = Stopwatch.GetTimestamp();
            KernelWorkers.Run(2, body);
            roundTrip[i] = (Stopwatch.GetTimestamp() - before) * usPerTick;
            late[i] = Math.Max(0, started[1] - started[0]) * usPerTick;
        }
        Array.Sort(roundTrip);
        Array.Sort(late);
        return (roundTrip, late);
    }

    private static void WritePercentiles(System.Text.Json.Utf8JsonWriter j, string name, double[] sorted)
    {
        j.WriteStartObject(name);
        foreach (var (label, q) in new[] { ("p10", 0.10), ("p50", 0.50), ("p90", 0.90), ("p99", 0.99) })
            j.WriteNumber(label, Math.Round(sorted[(int)(q * (sorted.Length - 1))], 2));
        j.WriteNumber("mean", Math.Round(sorted.Average(), 2));
        j.WriteEndObject();
    }
}
