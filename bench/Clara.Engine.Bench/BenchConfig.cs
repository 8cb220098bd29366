using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;
using Clara.Engine.Bench.Columns;

namespace Clara.Engine.Bench;

/// <summary>
/// The BenchmarkDotNet configuration: in-process by default (no SDK needed, so it runs inside a self-contained
/// trimmed publish on a GPU host), short jobs (kernels of milliseconds, model cases of seconds), and the throughput
/// columns.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create(bool inProcess)
    {
        var job = Job.Default.WithWarmupCount(2).WithIterationCount(8).WithLaunchCount(1);
        // NoEmit drives the benchmark through delegates instead of Reflection.Emit, which trimming would not see.
        if (inProcess) job = job.WithToolchain(new InProcessNoEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true));
        return DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddColumn(ThroughputColumn.All.ToArray())
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(48))
            .WithOptions(ConfigOptions.DisableLogFile);
    }
}
