using Clara.Engine.Tests.Support;
using System.Diagnostics;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>What one run of the <c>clara</c> program did.</summary>
internal sealed record HostileResult(int ExitCode, string Stdout, string Stderr, long PeakRssBytes = 0)
{
    public override string ToString() =>
        $"exit {ExitCode}, peak RSS {PeakRssBytes >> 20} MiB\nstdout:\n{Truncate(Stdout)}\nstderr:\n{Truncate(Stderr)}";

    private static string Truncate(string s) => s.Length <= 4000 ? s : s[..4000] + $"... ({s.Length} characters)";
}

/// <summary>
/// Runs <c>clara</c> as a user would: in-process when only the exit code and message matter, or as a child
/// process when a case must also stay within a memory bound. The child gets a GC heap cap (a runaway allocation
/// fails fast instead of swapping the machine) and a time limit, and its peak RSS is sampled while it runs.
/// </summary>
internal static class HostileRun
{
    public static HostileResult InProcess(params string[] args)
    {
        var (code, stdout, stderr) = ClaraCli.Run(args);
        return new HostileResult(code, stdout, stderr);
    }

    public static HostileResult Child(string[] args, int heapLimitMiB = 256, int timeoutSeconds = 60)
    {
        string cli = Path.Combine(TestContext.CurrentContext.TestDirectory, "clara.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + ((long)heapLimitMiB << 20).ToString("x");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (!process.WaitForExit(20))
        {
            peak = Math.Max(peak, PeakRss(process.Id));
            if (clock.Elapsed.TotalSeconds > timeoutSeconds)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Assert.Fail($"clara {string.Join(' ', args.Take(3))} ... ran past {timeoutSeconds} s (peak RSS {peak >> 20} MiB)");
            }
        }
        return new HostileResult(process.ExitCode, stdout.Result, stderr.Result, peak);
    }

    // VmHWM is the kernel's own high-water mark of the process's resident set, so sampling misses nothing
    // that happened between samples; only the last few milliseconds before exit can escape it.
    private static long PeakRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }
}
