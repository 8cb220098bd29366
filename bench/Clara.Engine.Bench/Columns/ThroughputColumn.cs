using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Clara.Engine.Bench.Machine;

namespace Clara.Engine.Bench.Columns;

/// <summary>
/// A rate derived from a case's mean time and the <see cref="WorkSize"/> of its parameter: GFLOP/s, GB/s, tokens/s,
/// documents/s, or one of those as a percentage of the machine's measured peak.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    private readonly Func<WorkSize, double, double?> _rate;
    private readonly string _format;

    private ThroughputColumn(string name, string legend, string format, Func<WorkSize, double, double?> rate)
    {
        ColumnName = name;
        Legend = legend;
        _format = format;
        _rate = rate;
    }

    public static IColumn GflopsPerSecond { get; } = new ThroughputColumn("GFLOP/s", "floating-point operations per second (1e9)", "F1",
        (w, s) => w.Flops > 0 ? w.Flops / s / 1e9 : null);

    public static IColumn PercentFmaPeak { get; } = new ThroughputColumn("%FMA", "GFLOP/s as a percentage of the measured fp32 FMA peak", "F0",
        (w, s) => w.Flops > 0 ? 100 * w.Flops / s / 1e9 / MachinePeaks.Current.FmaGflops : null);

    public static IColumn GigabytesPerSecond { get; } = new ThroughputColumn("GB/s", "bytes that must cross the memory bus per second (1e9)", "F1",
        (w, s) => w.Bytes > 0 ? w.Bytes / s / 1e9 : null);

    public static IColumn PercentReadRoof { get; } = new ThroughputColumn("%BW", "GB/s as a percentage of the measured DRAM read bandwidth (over 100 when the operands stay in cache)", "F0",
        (w, s) => w.Bytes > 0 ? 100 * w.Bytes / s / 1e9 / MachinePeaks.Current.ReadGBps : null);

    public static IColumn TokensPerSecond { get; } = new ThroughputColumn("tokens/s", "tokens processed per second", "F1",
        (w, s) => w.Tokens > 0 ? w.Tokens / s : null);

    public static IColumn DocumentsPerSecond { get; } = new ThroughputColumn("docs/s", "documents compressed (or candidates scored) per second", "F2",
        (w, s) => w.Documents > 0 ? w.Documents / s : null);

    public static IReadOnlyList<IColumn> All { get; } =
        [GflopsPerSecond, PercentFmaPeak, GigabytesPerSecond, PercentReadRoof, TokensPerSecond, DocumentsPerSecond];

    public string Id => nameof(ThroughputColumn) + "." + ColumnName;
    public string ColumnName { get; }
    public string Legend { get; }
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) =>
        summary.BenchmarksCases.Any(c => WorkOf(c) is { } w && _rate(w, 1) is not null);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (WorkOf(benchmarkCase) is not { } work || meanNanoseconds is not > 0) return "-";
        return _rate(work, meanNanoseconds.Value / 1e9) is { } rate ? rate.ToString(_format, System.Globalization.CultureInfo.InvariantCulture) : "-";
    }

    public override string ToString() => ColumnName;

    private static WorkSize? WorkOf(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<IHasWorkSize>().FirstOrDefault()?.Work;
}
