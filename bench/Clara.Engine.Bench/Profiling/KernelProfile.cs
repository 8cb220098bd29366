using System.Text.Json;

namespace Clara.Engine.Bench.Profiling;

/// <summary>Seconds and calls per kernel category, accumulated while a workload runs.</summary>
public sealed class KernelProfile
{
    private readonly Dictionary<string, (double Seconds, long Calls, double Flops)> _entries = new(StringComparer.Ordinal);

    public void Add(string category, double seconds, double flops = 0)
    {
        var (s, c, f) = _entries.GetValueOrDefault(category);
        _entries[category] = (s + seconds, c + 1, f + flops);
    }

    public void Clear() => _entries.Clear();

    public double TotalSeconds => _entries.Values.Sum(e => e.Seconds);

    /// <summary>Categories by time, with their share of <paramref name="wallSeconds"/> (the rest is outside kernels).</summary>
    public void Write(Utf8JsonWriter w, double wallSeconds)
    {
        w.WriteStartArray("profile");
        foreach (var (name, (seconds, calls, flops)) in _entries.OrderByDescending(e => e.Value.Seconds))
        {
            w.WriteStartObject();
            w.WriteString("kernel", name);
            w.WriteNumber("seconds", seconds);
            w.WriteNumber("percent", 100 * seconds / wallSeconds);
            w.WriteNumber("calls", calls);
            if (flops > 0) w.WriteNumber("gflops", flops / seconds / 1e9);
            w.WriteEndObject();
        }
        w.WriteStartObject();
        w.WriteString("kernel", "(outside kernels: graph building, host copies, sampling)");
        w.WriteNumber("seconds", wallSeconds - TotalSeconds);
        w.WriteNumber("percent", 100 * (wallSeconds - TotalSeconds) / wallSeconds);
        w.WriteEndObject();
        w.WriteEndArray();
    }
}
