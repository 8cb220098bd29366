using Clara.Convert.Inputs;
using Clara.Convert.Model;
using Clara.Convert.Sources;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Convert.Planning;

/// <summary>
/// Checks one adapter against the model: every factor maps to a layer and projection, each (layer, projection)
/// has both A [r, in] and B [out, r], one rank throughout, and the same projections in every adapted layer.
/// </summary>
internal static class AdapterPlanner
{
    public static PlannedAdapter? Plan(AdapterInput adapter, HfModelConfig config, PlanOptions options,
        List<string> problems, List<PlannedTensor> output)
    {
        int before = problems.Count;
        if (adapter.Name.Length == 0 || !adapter.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            problems.Add($"adapter name '{adapter.Name}' ({adapter.Origin}) may only use letters, digits, '_' and '-'; name it with NAME=PATH");

        var factors = new Dictionary<(int Layer, LinearSlot P, bool IsA), ISourceTensor>();
        foreach (var source in adapter.Tensors)
        {
            if (WeightNames.TryMapLora(source.Name) is not { } id)
            {
                problems.Add($"unmapped: '{source.Name}' in {source.Origin} is not a LoRA factor of a q/k/v/o/gate/up/down projection");
                continue;
            }
            if (id.AdapterSegment is { } segment && segment != adapter.Name && segment != "default")
            {
                problems.Add($"unmapped: '{source.Name}' in {source.Origin} belongs to adapter '{segment}', not '{adapter.Name}'");
                continue;
            }
            if (id.Layer >= config.Layers)
            {
                problems.Add($"unexpected: '{source.Name}' in {source.Origin} is for layer {id.Layer}; config.json has {config.Layers} layers");
                continue;
            }
            if (!factors.TryAdd((id.Layer, id.Slot, id.IsA), source))
                problems.Add($"duplicated: '{id.EngineName(adapter.Name)}' comes from both '{factors[(id.Layer, id.Slot, id.IsA)].Name}' and '{source.Name}' in {source.Origin}");
            PlanBuilder.CheckFloat(source, problems);
        }
        if (factors.Count == 0)
        {
            problems.Add($"adapter '{adapter.Name}' ({adapter.Origin}) has no LoRA factors");
            return null;
        }

        int rank = RankOf(adapter, factors, problems);
        var targets = factors.Keys.Select(k => k.P).Distinct().Order().ToList();
        CheckConfiguredTargets(adapter, targets, problems);
        var layers = adapter.Settings?.Values.LayersToTransform?.Distinct().Order().ToList() ?? Enumerable.Range(0, config.Layers).ToList();
        foreach (int layer in layers.Where(l => l < 0 || l >= config.Layers))
            problems.Add($"adapter '{adapter.Name}': layers_to_transform names layer {layer}; config.json has {config.Layers} layers");
        layers.RemoveAll(l => l < 0 || l >= config.Layers);

        foreach (int layer in layers)
            foreach (var p in targets)
                foreach (bool isA in new[] { true, false })
                {
                    var id = new LoraFactorId(layer, p, isA, null);
                    string engineName = id.EngineName(adapter.Name);
                    if (!factors.Remove((layer, p, isA), out var source))
                    {
                        problems.Add($"missing: '{engineName}' ({id.PeftName}) in adapter '{adapter.Name}' ({adapter.Origin})");
                        continue;
                    }
                    var expected = WeightLayout.LoraShape(config.Model, p, isA, rank);
                    if (!source.Shape.Equals(expected))
                        problems.Add($"mis-shaped: '{engineName}' ({source.Name} in {source.Origin}) is {source.Shape}, expected {expected} for rank {rank}");
                    // q8_0 quantises the base only: LoRA factors keep their source's float type (F64 becomes F32).
                    var dtype = options.DType != DType.Q8_0 ? options.DType : source.DType is DType.F64 ? DType.F32 : source.DType;
                    output.Add(new PlannedTensor(engineName, source, dtype));
                }
        foreach (var ((layer, p, isA), source) in factors)
            problems.Add($"unexpected: '{source.Name}' in {source.Origin} is for layer {layer}, which adapter '{adapter.Name}' does not adapt (layers_to_transform)");

        // A PEFT config without lora_alpha already holds PEFT's default (PeftAdapterConfig.DefaultLoraAlpha); only a
        // pickled state dict, which has no config at all, leaves it unknown.
        double? alpha = adapter.Settings?.Values.Alpha ?? options.LoraAlpha;
        if (alpha is null)
            problems.Add($"adapter '{adapter.Name}' ({adapter.Origin}): lora_alpha is unknown because a pickled state dict carries no adapter config; " +
                         "pass --lora-alpha A (the CLaRa reference uses 2·r) or include the CLaRa release directory with its config.json");
        if (problems.Count > before) return null;
        return new PlannedAdapter(new EngineAdapterEntry(adapter.Name, rank, alpha!.Value, adapter.Settings?.Values.UseRsLora ?? false, targets, layers), adapter.Origin);
    }

    /// <summary>The rank: the configured r, which every A's rows and every B's columns must equal.</summary>
    private static int RankOf(AdapterInput adapter, Dictionary<(int Layer, LinearSlot P, bool IsA), ISourceTensor> factors, List<string> problems)
    {
        var ranks = factors.Select(kv => kv.Value.Shape.Rank == 2 ? (kv.Key.IsA ? kv.Value.Shape[0] : kv.Value.Shape[1]) : -1)
            .Where(r => r > 0).GroupBy(r => r).OrderByDescending(g => g.Count()).Select(g => g.Key).ToList();
        int observed = ranks.Count > 0 ? ranks[0] : 0;
        if (adapter.Settings is { } settings)
        {
            if (observed != 0 && observed != settings.Values.Rank)
                problems.Add($"adapter '{adapter.Name}': {settings.Source} says r = {settings.Values.Rank}, but its factors have rank {observed}");
            return settings.Values.Rank;
        }
        return observed;
    }

    private static void CheckConfiguredTargets(AdapterInput adapter, List<LinearSlot> present, List<string> problems)
    {
        if (adapter.Settings?.Values.TargetModules is not { } configured) return;
        var expected = new List<LinearSlot>();
        foreach (var module in configured)
        {
            if (LinearSlots.TryParseTargetName(module, out var p)) expected.Add(p);
            else problems.Add($"adapter '{adapter.Name}': target module '{module}' ({adapter.Settings.Source}) is not one of the seven projections the engine adapts");
        }
        foreach (var p in expected.Except(present))
            problems.Add($"missing: adapter '{adapter.Name}' lists target '{p.TargetName()}' but has no factors for it");
        foreach (var p in present.Except(expected))
            problems.Add($"unexpected: adapter '{adapter.Name}' has factors for '{p.TargetName()}', which its target_modules do not list");
    }
}
