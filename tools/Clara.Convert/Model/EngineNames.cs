using System.Text.RegularExpressions;

namespace Clara.Convert.Model;

/// <summary>The seven linear projections of a block, by their engine names.</summary>
public enum Projection
{
    Wq,
    Wk,
    Wv,
    Wo,
    WGate,
    WUp,
    WDown,
}

/// <summary>A base-model tensor in engine terms: what it is and, for block tensors, which layer.</summary>
public sealed record BaseTensorId(string EngineName, int? Layer);

/// <summary>One LoRA factor in engine terms.</summary>
public sealed record LoraTensorId(int Layer, Projection Projection, bool IsA, string? AdapterSegment)
{
    public string EngineName(string adapter) => EngineNames.Lora(adapter, Layer, Projection, IsA);
}

/// <summary>
/// The engine's tensor names and their Hugging Face / PEFT counterparts. Engine names: <c>tok_embeddings</c>,
/// <c>layers.{i}.attn_norm</c>, <c>layers.{i}.{wq|wk|wv|wo}</c>, <c>layers.{i}.mlp_norm</c>,
/// <c>layers.{i}.{w_gate|w_up|w_down}</c>, <c>norm</c>, <c>lm_head</c>, and
/// <c>adapters.{name}.layers.{i}.{projection}.lora_a|lora_b</c>.
/// </summary>
public static partial class EngineNames
{
    public const string TokEmbeddings = "tok_embeddings";
    public const string Norm = "norm";
    public const string LmHead = "lm_head";

    public static string AttnNorm(int layer) => $"layers.{layer}.attn_norm";
    public static string MlpNorm(int layer) => $"layers.{layer}.mlp_norm";
    public static string Linear(int layer, Projection p) => $"layers.{layer}.{Name(p)}";
    public static string Lora(string adapter, int layer, Projection p, bool isA) =>
        $"adapters.{adapter}.layers.{layer}.{Name(p)}.{(isA ? "lora_a" : "lora_b")}";

    public static bool IsNorm(string engineName) => engineName == Norm || engineName.EndsWith("_norm", StringComparison.Ordinal);

    public static string Name(Projection p) => p switch
    {
        Projection.Wq => "wq",
        Projection.Wk => "wk",
        Projection.Wv => "wv",
        Projection.Wo => "wo",
        Projection.WGate => "w_gate",
        Projection.WUp => "w_up",
        Projection.WDown => "w_down",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    /// <summary>The module name in HF checkpoints ("self_attn.q_proj") and in PEFT target_modules ("q_proj").</summary>
    public static string HfModule(Projection p) => p switch
    {
        Projection.Wq => "self_attn.q_proj",
        Projection.Wk => "self_attn.k_proj",
        Projection.Wv => "self_attn.v_proj",
        Projection.Wo => "self_attn.o_proj",
        Projection.WGate => "mlp.gate_proj",
        Projection.WUp => "mlp.up_proj",
        Projection.WDown => "mlp.down_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    public static string PeftTarget(Projection p) => HfModule(p)[(HfModule(p).IndexOf('.') + 1)..];

    public static bool TryParseName(string name, out Projection projection)
    {
        foreach (var p in Enum.GetValues<Projection>())
            if (Name(p) == name)
            {
                projection = p;
                return true;
            }
        projection = default;
        return false;
    }

    public static bool TryParsePeftTarget(string module, out Projection projection)
    {
        foreach (var p in Enum.GetValues<Projection>())
            if (PeftTarget(p) == module)
            {
                projection = p;
                return true;
            }
        projection = default;
        return false;
    }

    /// <summary>HF name of an engine base tensor (the reverse of <see cref="TryMapBase"/>).</summary>
    public static string HfBaseName(string engineName)
    {
        switch (engineName)
        {
            case TokEmbeddings: return "model.embed_tokens.weight";
            case Norm: return "model.norm.weight";
            case LmHead: return "lm_head.weight";
        }
        var m = EngineLayerPattern().Match(engineName);
        if (!m.Success) throw new ArgumentException($"'{engineName}' is not an engine base tensor name");
        string layer = m.Groups[1].Value, part = m.Groups[2].Value;
        string module = part switch
        {
            "attn_norm" => "input_layernorm",
            "mlp_norm" => "post_attention_layernorm",
            _ => TryParseName(part, out var p) ? HfModule(p) : throw new ArgumentException($"'{engineName}' is not an engine base tensor name"),
        };
        return $"model.layers.{layer}.{module}.weight";
    }

    /// <summary>PEFT's name for a LoRA factor in adapter_model.safetensors.</summary>
    public static string PeftName(int layer, Projection p, bool isA) =>
        $"base_model.model.model.layers.{layer}.{HfModule(p)}.lora_{(isA ? "A" : "B")}.weight";

    /// <summary>
    /// Maps an HF base-model tensor name. Accepts the plain names and the <c>base_model.model.</c> prefix a
    /// PEFT-wrapped model adds to its full state dict.
    /// </summary>
    public static BaseTensorId? TryMapBase(string hfName)
    {
        string name = hfName.StartsWith("base_model.model.", StringComparison.Ordinal) ? hfName["base_model.model.".Length..] : hfName;
        switch (name)
        {
            case "model.embed_tokens.weight": return new(TokEmbeddings, null);
            case "model.norm.weight": return new(Norm, null);
            case "lm_head.weight": return new(LmHead, null);
        }
        var m = HfLayerPattern().Match(name);
        if (!m.Success) return null;
        int layer = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        string module = m.Groups[2].Value;
        string engine = module switch
        {
            "input_layernorm" => AttnNorm(layer),
            "post_attention_layernorm" => MlpNorm(layer),
            _ => Linear(layer, Enum.GetValues<Projection>().Single(p => HfModule(p) == module)),
        };
        return new(engine, layer);
    }

    /// <summary>
    /// Maps a LoRA factor name from any of the forms in the wild: PEFT files
    /// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>), transformers'
    /// get_adapter_state_dict (<c>model.layers.0.…lora_A.weight</c>), and full multi-adapter state dicts
    /// (<c>…lora_A.ADAPTER.weight</c>: the segment is returned so the caller can check it).
    /// </summary>
    public static LoraTensorId? TryMapLora(string name)
    {
        var m = LoraPattern().Match(name);
        if (!m.Success) return null;
        int layer = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var projection = Enum.GetValues<Projection>().Single(p => HfModule(p) == m.Groups[2].Value);
        return new(layer, projection, m.Groups[3].Value == "A", m.Groups[4].Success ? m.Groups[4].Value : null);
    }

    /// <summary>Tensors some HF checkpoints carry that a converted model does not need (recomputed, not learned).</summary>
    public static bool IsIgnorable(string hfName) => hfName.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    [GeneratedRegex(@"^model\.layers\.(\d+)\.(input_layernorm|post_attention_layernorm|self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.weight$")]
    private static partial Regex HfLayerPattern();

    [GeneratedRegex(@"^layers\.(\d+)\.(attn_norm|mlp_norm|wq|wk|wv|wo|w_gate|w_up|w_down)$")]
    private static partial Regex EngineLayerPattern();

    [GeneratedRegex(@"^(?:base_model\.model\.)?(?:model\.)?layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_(A|B)(?:\.([A-Za-z0-9_\-]+))?\.weight$")]
    private static partial Regex LoraPattern();
}
