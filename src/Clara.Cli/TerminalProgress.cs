using System.Diagnostics;

namespace Clara.Cli;

/// <summary>
/// A one-line progress bar redrawn in place on a terminal's standard error. Only created when standard error is a
/// real terminal, so logs and captured output never receive carriage-return noise.
/// </summary>
internal sealed class TerminalProgress : IProgress<int>, IDisposable
{
    private const int Width = 30;
    private readonly TextWriter _output;
    private readonly int _total;
    private readonly string _unit;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _drawn;

    private TerminalProgress(TextWriter output, int total, string unit)
    {
        _output = output;
        _total = total;
        _unit = unit;
    }

    /// <summary>A bar on <paramref name="stderr"/> when it is the process's own, unredirected standard error; otherwise null.</summary>
    public static TerminalProgress? ForStandardError(TextWriter stderr, int total, string unit) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected ? new TerminalProgress(stderr, total, unit) : null;

    public void Report(int done)
    {
        int filled = _total == 0 ? Width : (int)((long)done * Width / _total);
        double seconds = _clock.Elapsed.TotalSeconds;
        double rate = seconds > 0 ? done / seconds : 0;
        string eta = rate > 0 ? TimeSpan.FromSeconds((_total - done) / rate).ToString(@"m\:ss") : "?";
        _output.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{_total} {_unit}  {rate:F1}/s  ETA {eta}  ");
        _output.Flush();
        _drawn = true;
    }

    public void Finish()
    {
        if (_drawn) _output.WriteLine();
        _drawn = false;
    }

    public void Dispose() => Finish();
}
