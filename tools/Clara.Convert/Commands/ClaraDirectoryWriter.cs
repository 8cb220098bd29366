using Clara.Convert.Output;
using Clara.Convert.Planning;
using Clara.Engine.IO;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Convert.Commands;

/// <summary>
/// Writes the CLaRa directory of spec section 7: the HF base files (vocabulary already resized), clara.json,
/// adapters/NAME/ as PEFT adapter directories, and the tokenizer files. Everything is built in a sibling
/// staging directory and renamed into place at the end, so a failure leaves no half-written directory.
/// </summary>
internal static class ClaraDirectoryWriter
{
    /// <summary>
    /// Refuses a target that exists and is not an empty directory, or whose parent is missing, and removes staging
    /// directories that killed conversions left beside it (returned, so the caller can say so).
    /// </summary>
    public static IReadOnlyList<string> CheckTarget(string directory)
    {
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(target) || (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()))
            throw new IOException($"{target} already exists and is not empty; choose a new directory");
        string parent = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(parent)) throw new DirectoryNotFoundException($"{directory}: the parent directory {parent} does not exist");
        return TemporaryNames.RemoveStale(parent, Path.GetFileName(target));
    }

    public static string Write(ConversionPlan plan, string directory, ProgressSink progress)
    {
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        CheckTarget(target);
        string staging = TemporaryNames.For(target);
        Directory.CreateDirectory(staging);
        try
        {
            var reporter = progress.Start("write", plan.Tensors.Sum(t => t.Source.ByteLength));
            var baseTensors = plan.Tensors.Where(t => !t.Name.StartsWith(WeightNames.EngineAdapterPrefix, StringComparison.Ordinal)).ToList();
            WriteSafetensors(Path.Combine(staging, ShardedCheckpoint.SingleFileName), baseTensors, reporter);
            File.WriteAllText(Path.Combine(staging, "config.json"), plan.ConfigText);
            if (plan.ClaraJson is not null) File.WriteAllText(Path.Combine(staging, "clara.json"), plan.ClaraJson);
            foreach (var tokenizerFile in plan.TokenizerFiles)
                File.Copy(tokenizerFile, Path.Combine(staging, Path.GetFileName(tokenizerFile)));

            foreach (var adapter in plan.Adapters)
            {
                string adapterDir = Path.Combine(staging, "adapters", adapter.Name);
                Directory.CreateDirectory(adapterDir);
                string prefix = $"{WeightNames.EngineAdapterPrefix}{adapter.Name}.";
                WriteSafetensors(Path.Combine(adapterDir, "adapter_model.safetensors"),
                    plan.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList(), reporter);
                File.WriteAllText(Path.Combine(adapterDir, "adapter_config.json"), PeftConfig(adapter, plan.Config.Layers));
            }
            reporter?.Finish();
            if (Directory.Exists(target)) Directory.Delete(target); // empty, checked above
            Directory.Move(staging, target);
            return target;
        }
        catch
        {
            try { Directory.Delete(staging, recursive: true); }
            catch (IOException) { }
            throw;
        }
    }

    /// <summary>The HF / PEFT name an engine tensor gets in a CLaRa directory.</summary>
    public static string OutputName(string engineName)
    {
        if (Q8Blocks.TryWeightOfScales(engineName, out var weight)) return Q8Blocks.ScalesName(OutputName(weight));
        if (!engineName.StartsWith(WeightNames.EngineAdapterPrefix, StringComparison.Ordinal)) return WeightNames.HfBaseName(engineName);
        return WeightNames.TryParseEngineLora(engineName)?.Factor.PeftName
               ?? throw new ArgumentException($"'{engineName}' is not an engine adapter tensor name");
    }

    private static void WriteSafetensors(string path, IReadOnlyList<PlannedTensor> tensors, ProgressReporter? reporter) =>
        SafetensorsWriter.Write(path,
            tensors.Select(t => TensorToWrite.FromCallback(OutputName(t.Name), t.DType, t.Shape,
                stream => TensorConverter.Convert(t, stream, reporter))),
            new Dictionary<string, string> { ["format"] = "pt" }, EngineFileWriter.Alignment);

    /// <summary>layers_to_transform only when the adapter skips layers, as PEFT writes it.</summary>
    private static string PeftConfig(PlannedAdapter adapter, int modelLayers)
    {
        var a = adapter.Entry;
        var layers = a.Layers is { } l && l.Count != modelLayers ? l : null;
        return PeftAdapterConfig.ToJson(new PeftConfigValues(a.Rank, a.Alpha, a.UseRsLora, a.Targets.Select(t => t.TargetName()).ToList(), layers));
    }
}
