using System.Globalization;
using System.Text.RegularExpressions;

namespace Clara.Engine.Models;

/// <summary>A base-model tensor in engine terms: its engine name and, for block tensors, its layer.</summary>
public sealed record BaseWeightId(string EngineName, int? Layer);

/// <summary>One LoRA factor in engine terms; <paramref name="AdapterSegment"/> is the adapter name some state dicts put in the key.</summary>
public sealed record LoraFactorId(int Layer, LinearSlot Slot, bool IsA, string? AdapterSegment)
{
    public string EngineName(string adapter) => WeightNames.EngineLora(adapter, Layer, Slot, IsA ? 'A' : 'B');
    public string PeftName => WeightNames.PeftLora(Layer, Slot, IsA ? 'A' : 'B');
}

/// <summary>The reverse mappings: names found in checkpoints to engine names, and engine names back to HF / PEFT names.</summary>
public static partial class WeightNames
{
    private const string PeftBasePrefix = "base_model.model.";

    /// <summary>
    /// Maps an HF base-model tensor name to its engine name. Accepts the plain names and the <c>base_model.model.</c>
    /// prefix a PEFT-wrapped model adds to its full state dict; null for anything else.
    /// </summary>
    public static BaseWeightId? TryMapHfBase(string hfName)
    {
        string name = hfName.StartsWith(PeftBasePrefix, StringComparison.Ordinal) ? hfName[PeftBasePrefix.Length..] : hfName;
        if (name == HfEmbedding) return new(EngineEmbedding, null);
        if (name == HfNorm) return new(EngineNorm, null);
        if (name == HfLmHead) return new(EngineLmHead, null);
        var m = HfLayerPattern().Match(name);
        if (!m.Success) return null;
        int layer = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        string module = m.Groups[2].Value;
        if (module == "input_layernorm") return new(EngineAttnNorm(layer), layer);
        if (module == "post_attention_layernorm") return new(EngineMlpNorm(layer), layer);
        return LinearSlots.TryParseHfModule(module, out var slot) ? new(EngineLinear(layer, slot), layer) : null;
    }

    /// <summary>The HF name of an engine base tensor (the reverse of <see cref="TryMapHfBase"/>).</summary>
    /// <exception cref="ArgumentException">Not an engine base tensor name.</exception>
    public static string HfBaseName(string engineName)
    {
        if (engineName == EngineEmbedding) return HfEmbedding;
        if (engineName == EngineNorm) return HfNorm;
        if (engineName == EngineLmHead) return HfLmHead;
        var m = EngineLayerPattern().Match(engineName);
        if (m.Success)
        {
            int layer = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            string part = m.Groups[2].Value;
            if (part == "attn_norm") return HfAttnNorm(layer);
            if (part == "mlp_norm") return HfMlpNorm(layer);
            if (LinearSlots.TryParseEngineName(part, out var slot)) return HfLinear(layer, slot);
        }
        throw new ArgumentException($"'{engineName}' is not an engine base tensor name");
    }

    /// <summary>
    /// Maps a LoRA factor name from any of the forms in the wild: PEFT files
    /// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>), transformers'
    /// get_adapter_state_dict (<c>model.layers.0.…lora_A.weight</c>), and full multi-adapter state dicts
    /// (<c>…lora_A.ADAPTER.weight</c>: the segment is returned so the caller can check it).
    /// </summary>
    public static LoraFactorId? TryMapLora(string name)
    {
        var m = LoraPattern().Match(name);
        if (!m.Success || !LinearSlots.TryParseHfModule(m.Groups[2].Value, out var slot)) return null;
        int layer = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return new(layer, slot, m.Groups[3].Value == "A", m.Groups[4].Success ? m.Groups[4].Value : null);
    }

    /// <summary>Parses an engine adapter tensor name (<c>adapters.NAME.layers.I.SLOT.lora_a|lora_b</c>).</summary>
    public static (string Adapter, LoraFactorId Factor)? TryParseEngineLora(string engineName)
    {
        var m = EngineLoraPattern().Match(engineName);
        if (!m.Success || !LinearSlots.TryParseEngineName(m.Groups[3].Value, out var slot)) return null;
        int layer = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return (m.Groups[1].Value, new LoraFactorId(layer, slot, m.Groups[4].Value == "a", null));
    }

    // Layer indices are at most 9 digits, so int.Parse cannot overflow on a hostile name.
    [GeneratedRegex(@"^model\.layers\.(\d{1,9})\.(input_layernorm|post_attention_layernorm|self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.weight$")]
    private static partial Regex HfLayerPattern();

    [GeneratedRegex(@"^layers\.(\d{1,9})\.([a-z_]+)$")]
    private static partial Regex EngineLayerPattern();

    [GeneratedRegex(@"^(?:base_model\.model\.)?(?:model\.)?layers\.(\d{1,9})\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_(A|B)(?:\.([A-Za-z0-9_\-]+))?\.weight$")]
    private static partial Regex LoraPattern();

    [GeneratedRegex(@"^adapters\.([A-Za-z0-9_\-]+)\.layers\.(\d{1,9})\.([a-z_]+)\.lora_(a|b)$")]
    private static partial Regex EngineLoraPattern();
}
