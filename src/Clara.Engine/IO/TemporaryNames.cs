using System.Text.RegularExpressions;

namespace Clara.Engine.IO;

/// <summary>
/// Names of the temporary files and staging directories written beside an output: "NAME.tmp-PID-GUID". The
/// process id lets a later run tell a leftover of a killed run (its process is gone) from the work of a run still
/// going, and remove only the former; kill -9 gives the writer no chance to clean up itself.
/// </summary>
public static partial class TemporaryNames
{
    public static string For(string fullPath) => $"{fullPath}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Removes leftovers of <paramref name="name"/> in <paramref name="directory"/> whose process has ended; returns their paths.</summary>
    public static IReadOnlyList<string> RemoveStale(string directory, string name)
    {
        var removed = new List<string>();
        if (!Directory.Exists(directory)) return removed;
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory, name + ".tmp-*"))
        {
            var match = Pattern().Match(Path.GetFileName(entry)[name.Length..]);
            if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, out int pid) || IsRunning(pid)) continue;
            try
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
                removed.Add(entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else's leftover we may not delete: it is not ours to report as an error.
            }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\.tmp-(\d+)-[0-9a-f]{32}$")]
    private static partial Regex Pattern();
}
