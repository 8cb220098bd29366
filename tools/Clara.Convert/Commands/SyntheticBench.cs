using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Clara.Convert.Model;
using Clara.Convert.Output;
using Clara.Convert.Planning;
using Clara.Convert.Sources;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;

namespace Clara.Convert.Commands;

/// <summary>
/// <c>--bench-synthetic</c>: writes an f32 safetensors file of a few large tensors, converts it to the
/// engine-native bf16 file with the real writer, and prints throughput and memory. Memory is sampled from
/// /proc/self/status: RssAnon is what the process itself allocated; RssFile counts page-cache pages of the
/// memory-mapped input, which the kernel can drop at will.
/// </summary>
public static class SyntheticBench
{
    /// <param name="Elapsed">The whole conversion: checksum pass, write pass, SHA-256 of the input alongside.</param>
    /// <param name="ConversionOnly">The same conversion without the input's SHA-256.</param>
    /// <param name="Sha256Only">SHA-256 of the input file alone.</param>
    public sealed record Result(long InputBytes, long OutputBytes, TimeSpan Elapsed, TimeSpan ConversionOnly, TimeSpan Sha256Only,
        long PeakRssAnonBytes, long PeakRssBytes, long PeakManagedBytes)
    {
        public double MegabytesPerSecond => Rate(Elapsed);
        public double Rate(TimeSpan time) => InputBytes / (1024.0 * 1024.0) / time.TotalSeconds;
    }

    public static int Run(int tensors, int tensorMb, string? dir, TextWriter stdout, TextWriter stderr)
    {
        var result = Measure(tensors, tensorMb, dir ?? Path.GetTempPath(), stderr);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"synthetic: {tensors} x {tensorMb} MiB f32 -> bf16, output {Sizes.Format(result.OutputBytes)}: " +
            $"{result.Elapsed.TotalSeconds:0.00} s = {result.MegabytesPerSecond:0} MiB/s of input end to end; " +
            $"conversion alone (checksum pass + write pass with fsync) {result.Rate(result.ConversionOnly):0} MiB/s; " +
            $"SHA-256 of the input alone {result.Rate(result.Sha256Only):0} MiB/s"));
        stdout.WriteLine(
            $"memory: peak RssAnon {Sizes.Format(result.PeakRssAnonBytes)} (process allocations), peak VmRSS {Sizes.Format(result.PeakRssBytes)} " +
            $"(includes mapped input pages), peak managed heap {Sizes.Format(result.PeakManagedBytes)}");
        return 0;
    }

    public static Result Measure(int tensorCount, int tensorMb, string directory, TextWriter? progressWriter)
    {
        string input = Path.Combine(directory, $"clara-bench-{Guid.NewGuid():N}.safetensors");
        string output = Path.ChangeExtension(input, ".bf16.safetensors");
        int columns = 4096;
        int rows = (int)((long)tensorMb * 1024 * 1024 / sizeof(float) / columns);
        try
        {
            WriteSyntheticInput(input, tensorCount, rows, columns);
            using var file = SafetensorsFile.Open(input);
            var config = HfModelConfig.Parse(
                $$"""{"model_type": "mistral", "hidden_size": {{columns}}, "num_hidden_layers": 1, "num_attention_heads": 32, "intermediate_size": {{columns}}, "vocab_size": {{rows}}}""",
                "synthetic");
            var plan = new ConversionPlan
            {
                Config = config,
                VocabSize = rows,
                Tensors = file.Tensors.Select(e => new PlannedTensor(e.Name, new SafetensorsSourceTensor(file, e), DType.BF16)).ToList(),
                Adapters = [],
                ClaraJson = null,
                SpecialTokens = new Dictionary<string, int>(),
                SourceFiles = [input],
                TokenizerFiles = [],
                Notes = [],
            };

            GC.Collect();
            using var sampler = new MemorySampler();
            var clock = Stopwatch.StartNew();
            var written = EngineFileWriter.Write(plan, output, new ProgressSink(progressWriter, false));
            var endToEnd = clock.Elapsed;

            clock.Restart();
            EngineFileWriter.Write(new ConversionPlan
            {
                Config = plan.Config, VocabSize = plan.VocabSize, Tensors = plan.Tensors, Adapters = [], ClaraJson = null,
                SpecialTokens = plan.SpecialTokens, SourceFiles = [], TokenizerFiles = [], Notes = [],
            }, output, ProgressSink.None);
            var conversionOnly = clock.Elapsed;

            clock.Restart();
            SourceHash.Of(input);
            var sha256Only = clock.Elapsed;
            return new Result(plan.Tensors.Sum(t => t.Source.ByteLength), written.FileBytes, endToEnd, conversionOnly, sha256Only,
                sampler.PeakRssAnon, sampler.PeakRss, sampler.PeakManaged);
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }

    private static void WriteSyntheticInput(string path, int tensorCount, int rows, int columns)
    {
        var tensors = Enumerable.Range(0, tensorCount).Select(t => TensorToWrite.FromCallback($"bench.{t}", DType.F32, new Shape(rows, columns), stream =>
        {
            var row = new float[columns];
            uint state = 0x9E3779B9u ^ (uint)t;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    state ^= state << 13; state ^= state >> 17; state ^= state << 5; // xorshift32
                    row[c] = (state >> 8) * (1.0f / (1 << 24)) - 0.5f;
                }
                stream.Write(MemoryMarshal.AsBytes(row.AsSpan()));
            }
        }));
        SafetensorsWriter.Write(path, tensors);
    }

    /// <summary>Samples the process's memory every 10 ms on a background thread.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public MemorySampler()
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "memory sampler" };
            _thread.Start();
        }

        public long PeakRssAnon { get; private set; }
        public long PeakRss { get; private set; }
        public long PeakManaged { get; private set; }

        private void Loop()
        {
            while (!_stop)
            {
                Sample();
                Thread.Sleep(10);
            }
        }

        private void Sample()
        {
            PeakManaged = Math.Max(PeakManaged, GC.GetTotalMemory(false));
            if (!File.Exists("/proc/self/status"))
            {
                PeakRss = Math.Max(PeakRss, Environment.WorkingSet);
                return;
            }
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) PeakRssAnon = Math.Max(PeakRssAnon, Kilobytes(line));
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) PeakRss = Math.Max(PeakRss, Kilobytes(line));
            }
        }

        private static long Kilobytes(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            Sample();
        }
    }
}

/// <summary><c>clara convert --bench-synthetic [--bench-mb MB] [--bench-tensors N] [--bench-dir DIR]</c>.</summary>
internal sealed class SyntheticBenchOptions
{
    public Option<bool> Run { get; } = Clara.CommandLine.Options.Flag("--bench-synthetic", "measure conversion throughput and memory on synthetic tensors");
    private readonly Option<int> _megabytes = Clara.CommandLine.Options.Int("--bench-mb", "MB", 256, "MiB per synthetic tensor", min: 1);
    private readonly Option<int> _tensors = Clara.CommandLine.Options.Int("--bench-tensors", "N", 4, "synthetic tensors", min: 1);
    private readonly Option<string> _directory = Clara.CommandLine.Options.Text("--bench-dir", "DIR", "where the synthetic files go (default: the temp directory)");

    public Option[] All => [Run, _megabytes, _tensors, _directory];

    public int Invoke(System.CommandLine.ParseResult p, TextWriter stdout, TextWriter stderr) =>
        SyntheticBench.Run(p.GetValue(_tensors), p.GetValue(_megabytes), p.GetValue(_directory), stdout, stderr);
}
