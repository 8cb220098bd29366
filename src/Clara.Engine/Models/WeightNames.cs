namespace Clara.Engine.Models;

/// <summary>
/// Tensor names of the two layouts the loader reads, HF checkpoints and the engine-native file: the one definition
/// the runtime, the trainer and the converter use. Engine names: <c>tok_embeddings</c>, <c>layers.{i}.attn_norm</c>,
/// <c>layers.{i}.{wq|wk|wv|wo}</c>, <c>layers.{i}.mlp_norm</c>, <c>layers.{i}.{w_gate|w_up|w_down}</c>, <c>norm</c>,
/// <c>lm_head</c>, and <c>adapters.{name}.layers.{i}.{slot}.lora_a|lora_b</c>. The reverse mappings (a name in the
/// wild to its engine name) are in WeightNames.Parsing.cs.
/// </summary>
public static partial class WeightNames
{
    public static string HfEmbedding => "model.embed_tokens.weight";
    public static string HfNorm => "model.norm.weight";
    public static string HfLmHead => "lm_head.weight";
    public static string HfAttnNorm(int layer) => $"model.layers.{layer}.input_layernorm.weight";
    public static string HfMlpNorm(int layer) => $"model.layers.{layer}.post_attention_layernorm.weight";
    public static string HfLinear(int layer, LinearSlot slot) => $"model.layers.{layer}.{slot.HfModule()}.weight";

    /// <summary>PEFT adapter_model.safetensors key of LoRA A or B ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").</summary>
    public static string PeftLora(int layer, LinearSlot slot, char aOrB) => $"base_model.model.model.layers.{layer}.{slot.HfModule()}.lora_{aOrB}.weight";

    public static string EngineEmbedding => "tok_embeddings";
    public static string EngineNorm => "norm";
    public static string EngineLmHead => "lm_head";
    public static string EngineAttnNorm(int layer) => $"layers.{layer}.attn_norm";
    public static string EngineMlpNorm(int layer) => $"layers.{layer}.mlp_norm";
    public static string EngineLinear(int layer, LinearSlot slot) => $"layers.{layer}.{slot.EngineName()}";
    public static string EngineLora(string adapter, int layer, LinearSlot slot, char aOrB) =>
        $"{EngineAdapterPrefix}{adapter}.layers.{layer}.{slot.EngineName()}.lora_{char.ToLowerInvariant(aOrB)}";

    /// <summary>Every adapter tensor of the engine-native file starts with it.</summary>
    public const string EngineAdapterPrefix = "adapters.";

    /// <summary>Norm weights (kept F32 whatever the file's dtype: they are tiny and precision-sensitive).</summary>
    public static bool IsEngineNorm(string engineName) => engineName == EngineNorm || engineName.EndsWith("_norm", StringComparison.Ordinal);

    /// <summary>
    /// The matrices that may be stored Q8_0 (the seven projections and lm_head); the embedding is read a row at a time
    /// and stays a float type, norms stay F32.
    /// </summary>
    public static bool IsEngineQuantisable(string engineName) =>
        engineName == EngineLmHead || (engineName.StartsWith("layers.", StringComparison.Ordinal) && LinearSlots.TryParseEngineName(engineName[(engineName.LastIndexOf('.') + 1)..], out _));

    /// <summary>Tensors some HF checkpoints carry that the engine recomputes (RoPE's cached inverse frequencies).</summary>
    public static bool IsIgnorableHf(string hfName) => hfName.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);
}
