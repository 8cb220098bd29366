namespace Clara.Engine.Bench.Workloads;

/// <summary>This process's peak resident set (Linux VmHWM), for comparing the memory two implementations need.</summary>
public static class PeakRss
{
    /// <summary>Megabytes (10^6 bytes), or -1 where /proc/self/status is not available.</summary>
    public static double Megabytes() => StatusMegabytes("VmHWM:");

    /// <summary>
    /// One /proc/self/status size in megabytes, or -1 where it is not available: e.g. "RssAnon:" (the heap, arrays,
    /// the runtime) and "RssFile:" (mapped file pages now resident, such as memory-mapped weights).
    /// </summary>
    public static double StatusMegabytes(string field)
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path)) return -1;
        foreach (var line in File.ReadLines(Path))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var kib = long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return kib * 1024 / 1e6;
        }
        return -1;
    }

    /// <summary>The peak, and the present resident set split into anonymous and file-backed pages.</summary>
    public static void Write(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteNumber("peak_rss_mb", Megabytes());
        w.WriteNumber("rss_anon_mb", StatusMegabytes("RssAnon:"));
        w.WriteNumber("rss_file_mb", StatusMegabytes("RssFile:"));
    }
}
