using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>
/// Loads HF decoder checkpoints (config.json + model.safetensors or an index of shards) and PEFT LoRA adapters
/// onto a backend, validating every tensor against the config and reporting all problems at once.
/// </summary>
public static class CheckpointLoader
{
    public static ModelWeights LoadBase(string directory, IBackend backend)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory {directory} does not exist");
        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var source = WeightSource.OpenCheckpoint(directory);
        try
        {
            return Load(config, source, backend, new HfNames());
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    internal static ModelWeights Load(ModelConfig c, WeightSource source, IBackend backend, INameScheme names)
    {
        // Checked before enumerating names, so a config claiming a million layers costs nothing.
        long needed = (long)c.Layers * WeightLayout.TensorsPerLayer + 2;
        if (source.Names.Count < needed)
            throw new InvalidDataException($"{source.Description}: config num_hidden_layers = {c.Layers} needs at least {needed} tensors, " +
                                           $"but the weights hold only {source.Names.Count}");
        var check = new WeightValidation(source.Description);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (engineName, shape) in WeightLayout.BaseTensors(c, c.VocabSize))
        {
            string name = names.FromEngine(engineName);
            expected.Add(name);
            bool quantisable = WeightNames.IsEngineQuantisable(engineName);
            check.Expect(source, name, [.. shape.Dims], quantisable);
            if (quantisable && source.Names.Contains(Q8Blocks.ScalesName(name))) expected.Add(Q8Blocks.ScalesName(name));
        }
        foreach (var name in source.Names.Where(n => !expected.Contains(n) && !names.IsIgnorable(n)).Order())
            check.Unexpected(name);
        check.ThrowIfAny();

        var owned = new List<IDisposable>();
        var embedding = source.Load(names.Embedding, backend, owned);
        var layers = new List<LayerWeights>(c.Layers);
        for (int i = 0; i < c.Layers; i++)
        {
            var linear = LinearSlots.All.ToDictionary(s => s, s => source.Load(names.Linear(i, s), backend, owned));
            layers.Add(new LayerWeights(source.Load(names.AttnNorm(i), backend, owned), source.Load(names.MlpNorm(i), backend, owned), linear));
        }
        var norm = source.Load(names.Norm, backend, owned);
        var lmHead = c.TieWordEmbeddings ? embedding : source.Load(names.LmHead, backend, owned);
        owned.Add(source);
        return new ModelWeights(c, embedding, norm, lmHead, layers, owned);
    }

    /// <summary>Loads a PEFT adapter directory (adapter_config.json + adapter_model.safetensors).</summary>
    public static LoraAdapter LoadAdapter(string directory, string name, ModelConfig config, IBackend backend)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"adapter directory {directory} does not exist");
        var configPath = Path.Combine(directory, "adapter_config.json");
        var values = PeftAdapterConfig.LoadValues(configPath);
        var settings = LoraSettings.From(values);
        var path = Path.Combine(directory, "adapter_model.safetensors");
        if (!File.Exists(path)) throw new FileNotFoundException($"adapter weights {path} do not exist", path);
        var source = WeightSource.OpenFile(path);
        try
        {
            RefuseFactorsPeftWouldNotLoad(configPath, values, config, source);
            return LoadAdapter(name, settings, config, source, backend, (layer, slot, ab) => WeightNames.PeftLora(layer, slot, ab), namePrefix: "", ownsSource: true);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// PEFT builds LoRA layers only on the modules target_modules names, in the layers layers_to_transform lists,
    /// and ignores factors for anything else; applying them would give results PEFT does not, so they are refused.
    /// </summary>
    private static void RefuseFactorsPeftWouldNotLoad(string configPath, PeftConfigValues values, ModelConfig c, WeightSource source)
    {
        var problems = new List<string>();
        foreach (int layer in values.LayersToTransform ?? [])
            if (layer < 0 || layer >= c.Layers) problems.Add($"layers_to_transform names layer {layer}; the model has {c.Layers}");
        for (int i = 0; i < c.Layers; i++)
            foreach (var slot in LinearSlots.All)
            {
                string a = WeightNames.PeftLora(i, slot, 'A');
                if (!source.Names.Contains(a) && !source.Names.Contains(WeightNames.PeftLora(i, slot, 'B'))) continue;
                string module = slot.TargetName();
                if (values.TargetModules is { } targets && !targets.Any(t => t == module || t.EndsWith("." + module, StringComparison.Ordinal)))
                    problems.Add($"{a} adapts {module}, which target_modules ({string.Join(", ", targets)}) does not name");
                else if (values.LayersToTransform is { } layers && !layers.Contains(i))
                    problems.Add($"{a} adapts layer {i}, which layers_to_transform ({string.Join(", ", layers)}) does not list");
            }
        if (problems.Count > 0)
            throw new InvalidDataException($"{configPath}: PEFT would not apply these factors, so neither does the engine:" + ConfigLimits.ListProblems(problems));
    }

    /// <param name="namePrefix">Only tensors whose names start with it belong to this adapter (a file may hold the base and several adapters).</param>
    internal static LoraAdapter LoadAdapter(string name, LoraSettings settings, ModelConfig c, WeightSource source, IBackend backend,
        Func<int, LinearSlot, char, string> tensorName, string namePrefix, bool ownsSource)
    {
        var check = new WeightValidation(source.Description);
        var present = new List<(int Layer, LinearSlot Slot)>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < c.Layers; i++)
            foreach (var slot in LinearSlots.All)
            {
                string a = tensorName(i, slot, 'A'), b = tensorName(i, slot, 'B');
                bool hasA = source.Names.Contains(a), hasB = source.Names.Contains(b);
                if (!hasA && !hasB) continue;
                var (o, n) = slot.Dims(c);
                check.Expect(source, a, settings.Rank, n);
                check.Expect(source, b, o, settings.Rank);
                expected.Add(a);
                expected.Add(b);
                present.Add((i, slot));
            }
        // Names with the adapter's name in them ("...lora_A.default.weight") or LoRA on modules we do not have would
        // silently change nothing; refuse them instead.
        foreach (var unknown in source.Names.Where(n => n.StartsWith(namePrefix, StringComparison.Ordinal) && !expected.Contains(n)).Order())
            check.Unexpected(unknown);
        if (present.Count == 0) check.Unexpected("(no LoRA tensor matches any projection of this model)");
        check.ThrowIfAny();

        var owned = new List<IDisposable>();
        var pairs = present.ToDictionary(p => p, p =>
            (source.Load(tensorName(p.Layer, p.Slot, 'A'), backend, owned), source.Load(tensorName(p.Layer, p.Slot, 'B'), backend, owned)));
        if (ownsSource) owned.Add(source);
        return new LoraAdapter(name, settings, pairs, owned);
    }
}

/// <summary>Where each weight is found in one checkpoint layout.</summary>
internal interface INameScheme
{
    string Embedding { get; }
    string Norm { get; }
    string LmHead { get; }
    string AttnNorm(int layer);
    string MlpNorm(int layer);
    string Linear(int layer, LinearSlot slot);
    string FromEngine(string engineName);
    bool IsIgnorable(string name);
}

internal sealed class HfNames : INameScheme
{
    public string Embedding => WeightNames.HfEmbedding;
    public string Norm => WeightNames.HfNorm;
    public string LmHead => WeightNames.HfLmHead;
    public string AttnNorm(int layer) => WeightNames.HfAttnNorm(layer);
    public string MlpNorm(int layer) => WeightNames.HfMlpNorm(layer);
    public string Linear(int layer, LinearSlot slot) => WeightNames.HfLinear(layer, slot);
    public string FromEngine(string engineName) => WeightNames.HfBaseName(engineName);

    public bool IsIgnorable(string name) => WeightNames.IsIgnorableHf(name);
}

internal sealed class EngineNames : INameScheme
{
    public string Embedding => WeightNames.EngineEmbedding;
    public string Norm => WeightNames.EngineNorm;
    public string LmHead => WeightNames.EngineLmHead;
    public string AttnNorm(int layer) => WeightNames.EngineAttnNorm(layer);
    public string MlpNorm(int layer) => WeightNames.EngineMlpNorm(layer);
    public string Linear(int layer, LinearSlot slot) => WeightNames.EngineLinear(layer, slot);
    public string FromEngine(string engineName) => engineName;
    public bool IsIgnorable(string name) => name.StartsWith(WeightNames.EngineAdapterPrefix, StringComparison.Ordinal);
}
