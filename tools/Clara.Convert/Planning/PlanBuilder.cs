using Clara.Convert.Inputs;
using Clara.Convert.Model;
using Clara.Convert.Sources;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Convert.Planning;

/// <param name="DType">
/// Storage type of the output's matrices (norm vectors always stay F32). Q8_0 quantises the projections and lm_head;
/// the embedding is then stored F16 and LoRA factors keep their source's float type.
/// </param>
/// <param name="LoraAlpha">lora_alpha for pickled adapters that come without any config.</param>
public sealed record PlanOptions(DType DType, double? LoraAlpha = null);

/// <summary>
/// Maps every input tensor to its engine name and checks the whole set against config.json. It does not
/// stop at the first problem: missing, unmapped, duplicated and mis-shaped tensors are all reported by name.
/// </summary>
public static class PlanBuilder
{
    public static ConversionPlan Build(ConversionInputs inputs, PlanOptions options)
    {
        if (options.DType is not (DType.F32 or DType.BF16 or DType.F16 or DType.Q8_0))
            throw new ArgumentException($"output dtype must be f32, bf16, f16 or q8_0, not {options.DType}");
        var config = inputs.Config ?? throw new CheckpointValidationException(
            ["no config.json among the inputs: pass the base model's Hugging Face directory, or --config FILE"]);

        var problems = new List<string>();
        var notes = new List<string>();

        var baseByName = MapBase(inputs.Base, "base", problems, notes);
        var resizedByName = MapBase(inputs.Resized, "resized", problems, notes);
        foreach (var (name, source) in resizedByName) baseByName[name] = source; // the resized rows replace the base's

        int vocab = VocabSize(config, baseByName);
        if (config.TieWordEmbeddings && baseByName.Remove(WeightNames.EngineLmHead, out var dropped))
            notes.Add($"lm_head ({dropped.Name} in {dropped.Origin}) not written: config.json ties it to the embedding");

        // Said first and plainly when the missing tensors are too many to list: otherwise the only sign of a wrong
        // layer count would be the first screenful of them.
        int layerTensors = baseByName.Keys.Count(n => n.StartsWith("layers.", StringComparison.Ordinal));
        if ((long)config.Layers * WeightLayout.TensorsPerLayer - layerTensors > ConfigLimits.MaxListedProblems)
            problems.Add($"config.json num_hidden_layers = {config.Layers}, but the weights hold {layerTensors} layer tensors " +
                         $"({WeightLayout.TensorsPerLayer} per layer): at most {layerTensors / WeightLayout.TensorsPerLayer} layers");

        var tensors = new List<PlannedTensor>();
        foreach (var (name, shape) in WeightLayout.BaseTensors(config.Model, vocab))
        {
            if (!baseByName.Remove(name, out var source))
            {
                problems.Add($"missing: '{name}' ({WeightNames.HfBaseName(name)}) {shape}");
                continue;
            }
            if (!source.Shape.Equals(shape))
                problems.Add($"mis-shaped: '{name}' ({source.Name} in {source.Origin}) is {source.Shape}, config.json implies {shape}");
            CheckFloat(source, problems);
            if (options.DType == DType.Q8_0 && WeightNames.IsEngineQuantisable(name)) AddQuantised(name, source, tensors, problems);
            else tensors.Add(new PlannedTensor(name, source, WeightNames.IsEngineNorm(name) ? DType.F32 : FloatDType(options.DType)));
        }
        foreach (var (name, source) in baseByName) // left over: mapped, but beyond what the config describes
            problems.Add($"unexpected: '{source.Name}' in {source.Origin} maps to '{name}', which config.json ({config.Layers} layers) does not have");

        var adapters = new List<PlannedAdapter>();
        var adapterNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var adapter in inputs.Adapters)
        {
            if (!adapterNames.Add(adapter.Name))
            {
                problems.Add($"duplicated: two adapters are named '{adapter.Name}' (the second from {adapter.Origin}); name one with NAME=PATH");
                continue;
            }
            var planned = AdapterPlanner.Plan(adapter, config, options, problems, tensors);
            if (planned is not null) adapters.Add(planned);
        }

        if (problems.Count > 0) throw new CheckpointValidationException(problems);

        string? claraJson = inputs.ClaraJson;
        if (claraJson is null && inputs.ReleaseConfig is { } release)
            claraJson = ClaraJsonDerivation.Derive(release, config, vocab, notes);

        return new ConversionPlan
        {
            Config = config,
            VocabSize = vocab,
            Tensors = tensors,
            Adapters = adapters,
            ClaraJson = claraJson,
            SpecialTokens = SpecialTokens.From(claraJson, config),
            SourceFiles = inputs.SourceFiles.Distinct().ToList(),
            TokenizerFiles = inputs.TokenizerFiles,
            Notes = notes,
            Inputs = inputs.Detected,
        };
    }

    private static Dictionary<string, ISourceTensor> MapBase(IEnumerable<ISourceTensor> sources, string role, List<string> problems, List<string> notes)
    {
        var byName = new Dictionary<string, ISourceTensor>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            if (WeightNames.TryMapHfBase(source.Name) is not { } id)
            {
                if (WeightNames.IsIgnorableHf(source.Name)) notes.Add($"ignored '{source.Name}' in {source.Origin} (recomputed, not learned)");
                else if (WeightNames.TryMapLora(source.Name) is not null)
                    problems.Add($"unmapped: '{source.Name}' in {source.Origin} is a LoRA factor inside a {role} state dict");
                else problems.Add($"unmapped: '{source.Name}' in {source.Origin} has no engine counterpart");
                continue;
            }
            if (!byName.TryAdd(id.EngineName, source))
                problems.Add($"duplicated: '{id.EngineName}' comes from both '{byName[id.EngineName].Name}' in {byName[id.EngineName].Origin} and '{source.Name}' in {source.Origin}");
        }
        return byName;
    }

    /// <summary>
    /// The vocabulary the output has: config.json's, or the embedding's rows when it grew (added special tokens).
    /// An embedding with fewer rows than the config says is reported by the shape check.
    /// </summary>
    private static int VocabSize(HfModelConfig config, Dictionary<string, ISourceTensor> byName) =>
        byName.TryGetValue(WeightNames.EngineEmbedding, out var embedding) && embedding.Shape.Rank == 2
            ? Math.Max(embedding.Shape[0], config.VocabSize)
            : config.VocabSize;

    /// <summary>The float type of matrices that are not quantised (the embedding of a Q8_0 file is F16).</summary>
    internal static DType FloatDType(DType requested) => requested == DType.Q8_0 ? DType.F16 : requested;

    /// <summary>A Q8_0 matrix: I8 values under the weight's name and F16 scales beside it (both from the same source).</summary>
    private static void AddQuantised(string name, ISourceTensor source, List<PlannedTensor> tensors, List<string> problems)
    {
        if (source.Shape.Rank != 2 || source.Shape[1] % Q8Blocks.BlockSize != 0)
        {
            problems.Add($"not quantisable: '{name}' ({source.Name} in {source.Origin}) is {source.Shape}; q8_0 needs the input dimension " +
                         $"to be a multiple of {Q8Blocks.BlockSize}");
            return;
        }
        tensors.Add(new PlannedTensor(name, source, DType.I8, TensorEncoding.Q8Values));
        tensors.Add(new PlannedTensor(Q8Blocks.ScalesName(name), source, DType.F16, TensorEncoding.Q8Scales));
    }

    internal static void CheckFloat(ISourceTensor source, List<string> problems)
    {
        if (!source.DType.IsFloatStorage())
            problems.Add($"wrong dtype: '{source.Name}' in {source.Origin} is {source.DType}; weights must be a float type");
    }
}
