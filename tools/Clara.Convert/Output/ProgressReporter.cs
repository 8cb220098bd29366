using System.Diagnostics;

namespace Clara.Convert.Output;

/// <summary>
/// A byte-based progress bar on stderr. On a terminal it redraws one line in place (at most ten times a
/// second); when stderr is a file or pipe it prints a plain line at every 10 %, so logs stay readable.
/// </summary>
public sealed class ProgressReporter
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _writer;
    private readonly bool _isTerminal;
    private readonly string _label;
    private readonly long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _done;
    private TimeSpan _lastDraw = -RedrawInterval; // so the first advance draws
    private int _lastDecile; // 0 %: nothing worth a line yet

    public ProgressReporter(TextWriter writer, bool isTerminal, string label, long totalBytes)
    {
        _writer = writer;
        _isTerminal = isTerminal;
        _label = label;
        _total = Math.Max(1, totalBytes);
    }

    public long Done => _done;

    public void Advance(long bytes)
    {
        _done += bytes;
        if (_isTerminal)
        {
            if (_clock.Elapsed - _lastDraw < RedrawInterval) return;
            _lastDraw = _clock.Elapsed;
            _writer.Write("\r" + Line());
        }
        else
        {
            int decile = (int)Math.Min(10, _done * 10 / _total);
            if (decile == _lastDecile) return;
            _lastDecile = decile;
            _writer.WriteLine(Line());
        }
    }

    public void Finish()
    {
        if (_isTerminal) _writer.WriteLine("\r" + Line());
        else if (_lastDecile != 10) _writer.WriteLine(Line());
        _writer.Flush();
    }

    private string Line()
    {
        double fraction = Math.Min(1.0, (double)_done / _total);
        int filled = (int)(fraction * BarWidth);
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        return $"{_label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {fraction * 100,5:0.0}% " +
               $"{Sizes.Format(_done)} / {Sizes.Format(_total)}  {Sizes.Format((long)(_done / seconds))}/s";
    }
}

internal static class Sizes
{
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
