namespace Clara.Engine.Bench.Workloads;

/// <summary>This process's peak resident set (Linux VmHWM), for comparing the memory two implementations need.</summary>
public static class PeakRss
{
    /// <summary>Megabytes (10^6 bytes), or -1 where /proc/self/status is not available.</summary>
    public static double Megabytes()
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path)) return -1;
        foreach (var line in File.ReadLines(Path))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var kib = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return kib * 1024 / 1e6;
        }
        return -1;
    }
}
