using System.Text.Json.Nodes;
using Clara.Convert.Model;
using Clara.Convert.Sources;
using Clara.Convert.Torch;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;

namespace Clara.Convert.Inputs;

/// <summary>An input on the command line: a path, optionally with the adapter name to use (<c>NAME=PATH</c>).</summary>
public sealed record InputSpec(string Path, string? Name = null)
{
    public static InputSpec Parse(string argument)
    {
        int eq = argument.IndexOf('=');
        // A path may itself contain '=': only treat the prefix as a name when it is a plain identifier.
        if (eq > 0 && argument[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') && !File.Exists(argument) && !Directory.Exists(argument))
            return new InputSpec(argument[(eq + 1)..], argument[..eq]);
        return new InputSpec(argument);
    }
}

/// <summary>
/// Opens the detected inputs and sorts what they hold into base weights, resized embeddings and adapters.
/// Torch and lone safetensors files are sorted by their tensor names: LoRA factors make an adapter, a file of
/// only embed_tokens / lm_head is a resized vocabulary, anything else is base weights.
/// </summary>
public static class InputLoader
{
    private static readonly string[] TokenizerFileNames =
        ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"];

    public static ConversionInputs Load(IReadOnlyList<InputSpec> specs, string? configPath, string? claraPath)
    {
        var inputs = new ConversionInputs();
        try
        {
            if (configPath is not null) SetConfig(inputs, configPath);
            if (claraPath is not null) SetClaraJson(inputs, claraPath);
            var detected = specs.Select(spec => (Spec: spec, Kind: InputDetector.Detect(spec.Path).Kind)).ToList();
            inputs.Detected.AddRange(detected.Select(d => new DetectedInput(d.Spec.Path, d.Kind)));
            // The CLaRa release's config decides the LoRA settings of pickled adapters, whichever input they come from.
            foreach (var (spec, _) in detected.Where(d => d.Kind == InputKind.ClaraReleaseDirectory))
            {
                string releaseConfig = Path.Combine(spec.Path, "config.json");
                if (InputDetector.IsClaraTrainingConfig(releaseConfig)) inputs.ReleaseConfig = ClaraReleaseConfig.Load(releaseConfig);
            }
            foreach (var (spec, kind) in detected) LoadOne(inputs, spec, kind);
            return inputs;
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    private static void LoadOne(ConversionInputs inputs, InputSpec spec, InputKind kind)
    {
        switch (kind)
        {
            case InputKind.HfModelDirectory:
                LoadHfDirectory(inputs, spec.Path);
                break;
            case InputKind.PeftAdapterDirectory:
                LoadPeftDirectory(inputs, spec.Path, spec.Name ?? DirectoryName(spec.Path));
                break;
            case InputKind.ClaraReleaseDirectory:
                LoadClaraRelease(inputs, spec.Path);
                break;
            case InputKind.TorchFile:
                SortStateDicts(inputs, spec, OpenTorch(inputs, spec.Path));
                break;
            case InputKind.SafetensorsFile:
                SortStateDicts(inputs, spec, new StateDicts(OpenSafetensors(inputs, spec.Path), null));
                break;
        }
    }

    private static void LoadHfDirectory(ConversionInputs inputs, string dir)
    {
        SetConfig(inputs, Path.Combine(dir, "config.json"));
        if (File.Exists(Path.Combine(dir, ShardedCheckpoint.SingleFileName)) || File.Exists(Path.Combine(dir, ShardedCheckpoint.IndexFileName)))
        {
            // The index's weight_map is authoritative: a shard's tensors beyond it are not part of the model.
            var checkpoint = inputs.Own(ShardedCheckpoint.Open(dir));
            inputs.SourceFiles.AddRange(checkpoint.Files.Select(f => f.Path));
            foreach (var name in checkpoint.Names)
            {
                checkpoint.TryGet(name, out var file, out var entry);
                inputs.Base.Add(new SafetensorsSourceTensor(file!, entry!));
            }
        }
        else
        {
            foreach (var binPath in TorchShardPaths(dir))
            {
                var dicts = OpenTorch(inputs, binPath);
                if (dicts.Single is null) throw new InvalidDataException($"{binPath}: holds nested dicts, not a model state dict");
                inputs.Base.AddRange(dicts.Single);
            }
        }
        inputs.TokenizerFiles.AddRange(TokenizerFileNames.Select(n => Path.Combine(dir, n)).Where(File.Exists));

        // A CLaRa directory (spec section 7) is an HF directory with clara.json and adapters/<name>/.
        string clara = Path.Combine(dir, "clara.json");
        if (File.Exists(clara) && inputs.ClaraJson is null) SetClaraJson(inputs, clara);
        string adapters = Path.Combine(dir, "adapters");
        if (Directory.Exists(adapters))
            foreach (var sub in Directory.EnumerateDirectories(adapters).Order(StringComparer.Ordinal))
                if (File.Exists(Path.Combine(sub, "adapter_config.json")))
                    LoadPeftDirectory(inputs, sub, DirectoryName(sub));
    }

    /// <summary>pytorch_model.bin, or the shards its index names (the pre-safetensors HF layout).</summary>
    private static IEnumerable<string> TorchShardPaths(string dir)
    {
        string index = Path.Combine(dir, "pytorch_model.bin.index.json");
        if (!File.Exists(index)) return [Path.Combine(dir, "pytorch_model.bin")];
        var weightMap = JsonNode.Parse(File.ReadAllText(index))?["weight_map"] as JsonObject
            ?? throw new InvalidDataException($"{index}: has no weight_map");
        var shards = weightMap.Select(kv => kv.Value?.GetValue<string>()
                ?? throw new InvalidDataException($"{index}: '{kv.Key}' maps to no file"))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var shard in shards)
            if (shard.Contains('/') || shard.Contains('\\') || shard.StartsWith('.'))
                throw new InvalidDataException($"{index}: shard name '{shard}' points outside the directory");
        return shards.Select(s => Path.Combine(dir, s));
    }

    private static void LoadPeftDirectory(ConversionInputs inputs, string dir, string name)
    {
        string configPath = Path.Combine(dir, "adapter_config.json");
        var settings = new AdapterSettings(PeftAdapterConfig.LoadValues(configPath), configPath);
        string safetensors = Path.Combine(dir, "adapter_model.safetensors");
        string bin = Path.Combine(dir, "adapter_model.bin");
        IReadOnlyList<ISourceTensor> tensors;
        if (File.Exists(safetensors)) tensors = OpenSafetensors(inputs, safetensors);
        else if (File.Exists(bin))
            tensors = OpenTorch(inputs, bin).Single ?? throw new InvalidDataException($"{bin}: holds nested dicts, not an adapter state dict");
        else throw new InvalidDataException($"{dir}: adapter_config.json but neither adapter_model.safetensors nor adapter_model.bin");
        inputs.Adapters.Add(new AdapterInput(name, settings, tensors, dir));
    }

    private static void LoadClaraRelease(ConversionInputs inputs, string dir)
    {
        string adapters = Path.Combine(dir, InputDetector.ClaraAdaptersFile);
        string firstLast = Path.Combine(dir, InputDetector.ClaraFirstLastLayersFile);
        if (!File.Exists(adapters) && !File.Exists(firstLast))
            throw new InvalidDataException($"{dir}: a CLaRa config.json but neither {InputDetector.ClaraAdaptersFile} nor {InputDetector.ClaraFirstLastLayersFile}");
        if (File.Exists(adapters)) SortStateDicts(inputs, new InputSpec(adapters), OpenTorch(inputs, adapters));
        if (File.Exists(firstLast)) SortStateDicts(inputs, new InputSpec(firstLast), OpenTorch(inputs, firstLast));
        string clara = Path.Combine(dir, "clara.json");
        if (File.Exists(clara) && inputs.ClaraJson is null) SetClaraJson(inputs, clara);
    }

    private sealed record StateDicts(IReadOnlyList<ISourceTensor>? Single, IReadOnlyDictionary<string, IReadOnlyList<ISourceTensor>>? Nested);

    private static StateDicts OpenTorch(ConversionInputs inputs, string path)
    {
        var file = inputs.Own(TorchCheckpointFile.Open(path));
        inputs.SourceFiles.Add(path);
        var dicts = TorchStateDicts.From(file);
        if (dicts.Single is not null)
            return new StateDicts(dicts.Single.Select(t => (ISourceTensor)new TorchSourceTensor(file, t, path)).ToList(), null);
        return new StateDicts(null, dicts.Nested!.ToDictionary(
            kv => kv.Key,
            kv => (IReadOnlyList<ISourceTensor>)kv.Value.Select(t => (ISourceTensor)new TorchSourceTensor(file, t, $"{path}['{kv.Key}']")).ToList()));
    }

    private static List<ISourceTensor> OpenSafetensors(ConversionInputs inputs, string path)
    {
        var file = inputs.Own(SafetensorsFile.Open(path));
        inputs.SourceFiles.Add(path);
        return file.Tensors.Select(e => (ISourceTensor)new SafetensorsSourceTensor(file, e)).ToList();
    }

    private static void SortStateDicts(ConversionInputs inputs, InputSpec spec, StateDicts dicts)
    {
        if (dicts.Nested is not null)
        {
            if (spec.Name is not null)
                throw new ArgumentException($"{spec.Path}: holds several adapters ({string.Join(", ", dicts.Nested.Keys)}); NAME= applies to a single one");
            foreach (var (name, tensors) in dicts.Nested)
                inputs.Adapters.Add(new AdapterInput(name, PickledAdapterSettings(inputs), tensors, $"{spec.Path}['{name}']"));
            return;
        }
        var single = dicts.Single!;
        if (single.Count > 0 && single.All(t => WeightNames.TryMapLora(t.Name) is not null))
        {
            string name = spec.Name ?? Path.GetFileNameWithoutExtension(spec.Path);
            inputs.Adapters.Add(new AdapterInput(name, PickledAdapterSettings(inputs), single, spec.Path));
        }
        else if (single.Count > 0 && single.All(t => WeightNames.TryMapHfBase(t.Name)?.EngineName is { } n && (n == WeightNames.EngineEmbedding || n == WeightNames.EngineLmHead)))
        {
            inputs.Resized.AddRange(single);
        }
        else
        {
            inputs.Base.AddRange(single);
        }
    }

    /// <summary>A pickled adapter carries no config; the CLaRa release config, when given, supplies it.</summary>
    private static AdapterSettings? PickledAdapterSettings(ConversionInputs inputs) =>
        inputs.ReleaseConfig is { } release
            ? new AdapterSettings(new PeftConfigValues(release.LoraRank, release.LoraAlpha, UseRsLora: false, TargetModules: null, LayersToTransform: null),
                $"{release.Source} (lora_r; lora_alpha = 2·lora_r as the reference sets it)")
            : null;

    private static void SetConfig(ConversionInputs inputs, string path)
    {
        var config = HfModelConfig.Load(path);
        if (inputs.Config is { } existing && existing.Text != config.Text)
            throw new ArgumentException($"two different base-model configs: {existing.Source} and {path}");
        inputs.Config ??= config;
        if (!inputs.SourceFiles.Contains(path)) inputs.SourceFiles.Add(path);
    }

    private static void SetClaraJson(ConversionInputs inputs, string path)
    {
        string text = File.ReadAllText(path);
        try
        {
            _ = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        inputs.ClaraJson = text;
        inputs.ClaraJsonSource = path;
        inputs.SourceFiles.Add(path);
    }

    private static string DirectoryName(string dir) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
}
