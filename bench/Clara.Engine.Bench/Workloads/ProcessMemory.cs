namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// This process's resident memory from /proc/self/status (Linux): VmRSS now and VmHWM, the peak since the process
/// started, the same figure getrusage's ru_maxrss gives, so the Python side can report the very same measure.
/// </summary>
public static class ProcessMemory
{
    public static long ResidentBytes => Read("VmRSS:");
    public static long PeakResidentBytes => Read("VmHWM:");

    private static long Read(string field)
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status)) return -1;
        foreach (var line in File.ReadLines(Status))
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var parts = line[field.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024; // "kB"
            }
        return -1;
    }
}
