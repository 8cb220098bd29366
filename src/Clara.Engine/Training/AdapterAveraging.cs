using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>What <see cref="AdapterAveraging.Average"/> wrote.</summary>
public sealed record AdapterAveragingResult(string OutputDirectory, int Models, IReadOnlyList<string> Adapters, int Tensors);

/// <summary>
/// Weight averaging (stochastic weight averaging, Izmailov et al. 2018) of model directories from one adapter-only
/// training trajectory — for example the last model of each round of a cyclic schedule: every LoRA factor becomes
/// the mean of that factor over the models. The mean of the A and B factors is not the mean of the products B·A, so
/// it is only sound for checkpoints that stay near each other; the models must therefore share everything but their
/// adapters (the same base weights, configuration and tokenizer, byte for byte, and the same adapters, LoRA settings
/// and tensor shapes), and anything else is refused by name; the output directory appears only when complete. Every
/// shared file of every model is read once for the comparison (for a 7B base, its 14 GB per model).
/// </summary>
public static class AdapterAveraging
{
    private const string AdaptersDirectory = "adapters";
    private const string AdapterWeights = "adapter_model.safetensors";
    private const string AdapterConfig = "adapter_config.json";

    /// <summary>
    /// Writes <paramref name="outputDirectory"/> (new or empty): the first model's files, with every adapter's
    /// factors replaced by their mean over <paramref name="modelDirectories"/> (computed in double, stored in the
    /// first model's dtype). The directory appears only when complete. <paramref name="progress"/> hears the
    /// mebibytes compared so far, of <see cref="ComparisonMebibytes"/>.
    /// </summary>
    public static AdapterAveragingResult Average(IReadOnlyList<string> modelDirectories, string outputDirectory, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectories);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        if (modelDirectories.Count < 2) throw new ArgumentException($"averaging needs at least two models, got {modelDirectories.Count}");
        var models = modelDirectories.Select(m => Path.GetFullPath(m).TrimEnd(Path.DirectorySeparatorChar)).ToList();
        string output = Path.GetFullPath(outputDirectory).TrimEnd(Path.DirectorySeparatorChar);
        foreach (var model in models)
        {
            if (!Directory.Exists(model)) throw new DirectoryNotFoundException($"model directory {model} does not exist");
            if (output == model || output.StartsWith(model + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new InvalidInputException($"--out {outputDirectory} must not be a model directory or inside one ({model})");
        }
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new IOException($"--out {outputDirectory} is not empty: choose a new directory");

        var shared = SharedFiles(models[0]);
        var adapters = AdapterNames(models[0]);
        if (adapters.Count == 0) throw new InvalidDataException($"{models[0]}: no adapters under {AdaptersDirectory}/ to average");
        var meter = new ReadMeter(progress);
        foreach (var model in models.Skip(1)) RefuseDifferences(models[0], model, shared, adapters, meter);

        // Written beside the target and moved into place, so a failure leaves no half-averaged model behind.
        string staging = output + ".partial-" + Guid.NewGuid().ToString("N");
        try
        {
            foreach (var relative in shared.Concat(adapters.Select(a => Path.Combine(AdaptersDirectory, a, AdapterConfig))))
            {
                string target = Path.Combine(staging, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(Path.Combine(models[0], relative), target);
            }
            int tensors = 0;
            foreach (var adapter in adapters)
                tensors += WriteMean(models.Select(m => Path.Combine(m, AdaptersDirectory, adapter, AdapterWeights)).ToList(),
                    Path.Combine(staging, AdaptersDirectory, adapter, AdapterWeights));
            if (Directory.Exists(output)) Directory.Delete(output);
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            Directory.Move(staging, output);
            return new AdapterAveragingResult(output, models.Count, adapters, tensors);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The model's files that are not adapters or the record of a training run (checkpoint/, metrics.jsonl).</summary>
    private static List<string> SharedFiles(string model) =>
        Directory.EnumerateFiles(model, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(model, f))
            .Where(r => !r.StartsWith(AdaptersDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !TrainingOutputDirectory.IsRunFile(r))
            .Order(StringComparer.Ordinal).ToList();

    private static List<string> AdapterNames(string model)
    {
        string root = Path.Combine(model, AdaptersDirectory);
        if (!Directory.Exists(root)) return [];
        var names = Directory.EnumerateDirectories(root).Select(Path.GetFileName).Select(n => n!).Order(StringComparer.Ordinal).ToList();
        foreach (var name in names)
            foreach (var file in new[] { AdapterConfig, AdapterWeights })
                if (!File.Exists(Path.Combine(root, name, file)))
                    throw new FileNotFoundException($"{model}: adapter {name} has no {file}", Path.Combine(root, name, file));
        return names;
    }

    /// <summary>
    /// What <see cref="Average"/> reads to compare the models' shared files (each file of the first model against the
    /// same file of every other), in mebibytes: the total its progress counts up to.
    /// </summary>
    public static int ComparisonMebibytes(IReadOnlyList<string> modelDirectories)
    {
        ArgumentNullException.ThrowIfNull(modelDirectories);
        if (modelDirectories.Count < 2 || !Directory.Exists(modelDirectories[0])) return 0;
        string first = Path.GetFullPath(modelDirectories[0]);
        long bytes = SharedFiles(first).Sum(f => new FileInfo(Path.Combine(first, f)).Length);
        return (int)Math.Min(int.MaxValue, 2 * bytes * (modelDirectories.Count - 1) / ReadMeter.Mebibyte);
    }

    private static void RefuseDifferences(string first, string model, List<string> shared, List<string> adapters, ReadMeter meter)
    {
        var files = SharedFiles(model);
        if (!files.SequenceEqual(shared))
        {
            var odd = files.Except(shared).Select(f => $"{f} only in {model}").Concat(shared.Except(files).Select(f => $"{f} only in {first}"));
            throw new InvalidDataException($"the models do not share their files ({string.Join("; ", odd)}): only adapters may differ");
        }
        foreach (var relative in shared)
            if (!SameBytes(Path.Combine(first, relative), Path.Combine(model, relative), meter))
                throw new InvalidDataException($"{relative} differs between {first} and {model}: only adapters may differ (base weights, configuration and tokenizer must be the same)");
        var names = AdapterNames(model);
        if (!names.SequenceEqual(adapters))
            throw new InvalidDataException($"{first} has the adapters {string.Join(", ", adapters)}, {model} has {string.Join(", ", names)}");
        foreach (var adapter in adapters)
        {
            string config = Path.Combine(AdaptersDirectory, adapter, AdapterConfig);
            if (!SameBytes(Path.Combine(first, config), Path.Combine(model, config), meter: null))
                throw new InvalidDataException($"{config} differs between {first} and {model}: adapters with other LoRA settings cannot be averaged");
        }
    }

    private static bool SameBytes(string a, string b, ReadMeter? meter)
    {
        using var x = File.OpenRead(a);
        using var y = File.OpenRead(b);
        if (x.Length != y.Length) return false;
        var bufferX = new byte[1 << 20];
        var bufferY = new byte[1 << 20];
        int read;
        while ((read = x.ReadAtLeast(bufferX, bufferX.Length, throwOnEndOfStream: false)) > 0)
        {
            y.ReadExactly(bufferY, 0, read);
            meter?.Add(2L * read);
            if (!bufferX.AsSpan(0, read).SequenceEqual(bufferY.AsSpan(0, read))) return false;
        }
        return true;
    }

    /// <summary>Writes the mean of every tensor of <paramref name="paths"/> to <paramref name="target"/>; returns the tensor count.</summary>
    private static int WriteMean(List<string> paths, string target)
    {
        var files = new List<SafetensorsFile>();
        try
        {
            foreach (var path in paths) files.Add(SafetensorsFile.Open(path));
            var reference = files[0];
            foreach (var (file, path) in files.Zip(paths).Skip(1))
            {
                var names = file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal);
                if (!names.SequenceEqual(reference.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal)))
                    throw new InvalidDataException($"{path} and {paths[0]} hold different tensors");
            }
            var written = new List<TensorToWrite>();
            foreach (var entry in reference.Tensors)
            {
                if (!entry.DType.IsFloatStorage())
                    throw new InvalidDataException($"{paths[0]}: tensor {entry.Name} is {entry.DType}; only floating-point factors can be averaged");
                var sum = new double[checked((int)entry.ElementCount)];
                var values = new float[sum.Length];
                foreach (var (file, path) in files.Zip(paths))
                {
                    var other = file[entry.Name];
                    if (!other.Shape.Equals(entry.Shape))
                        throw new InvalidDataException($"tensor {entry.Name} is {other.Shape} in {path} but {entry.Shape} in {paths[0]}");
                    file.ReadAsFloat32(other, values);
                    for (int i = 0; i < sum.Length; i++) sum[i] += values[i];
                }
                var mean = new float[sum.Length];
                for (int i = 0; i < mean.Length; i++) mean[i] = (float)(sum[i] / files.Count);
                written.Add(TensorToWrite.FromFloat32(entry.Name, entry.Shape, mean, storeAs: entry.DType == DType.F64 ? DType.F32 : entry.DType));
            }
            SafetensorsWriter.Write(target, written, reference.Metadata.Count > 0 ? reference.Metadata : null);
            return written.Count;
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }
    }

    /// <summary>Counts the bytes read and reports whole mebibytes as they pass.</summary>
    private sealed class ReadMeter(IProgress<int>? progress)
    {
        public const long Mebibyte = 1 << 20;
        private long _bytes;
        private int _reported;

        public void Add(long bytes)
        {
            _bytes += bytes;
            int mebibytes = (int)Math.Min(int.MaxValue, _bytes / Mebibyte);
            if (progress is null || mebibytes == _reported) return;
            _reported = mebibytes;
            progress.Report(mebibytes);
        }
    }
}
