using System.Text.Json;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// Collections per generation, bytes allocated and time paused, between two points of one process. A decoding loop
/// that allocates a large-object array per step (a 128 KB logits row) sets off a blocking gen-2 collection every
/// dozen steps; the counts show it where wall time on a noisy host cannot.
/// </summary>
internal readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, long AllocatedBytes, TimeSpan Paused)
{
    public static GcCounts Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        GC.GetTotalAllocatedBytes(precise: true), GC.GetTotalPauseDuration());

    public static GcCounts operator -(GcCounts a, GcCounts b) =>
        new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.AllocatedBytes - b.AllocatedBytes, a.Paused - b.Paused);

    public void Write(Utf8JsonWriter w, long steps)
    {
        w.WriteStartObject("gc");
        w.WriteNumber("steps", steps);
        w.WriteNumber("gen0", Gen0);
        w.WriteNumber("gen1", Gen1);
        w.WriteNumber("gen2", Gen2);
        w.WriteNumber("allocated_kb_per_step", Math.Round(AllocatedBytes / 1024.0 / Math.Max(1, steps), 1));
        w.WriteNumber("paused_ms", Math.Round(Paused.TotalMilliseconds, 1));
        w.WriteEndObject();
    }
}
