namespace Clara.Engine.Models;

/// <summary>Tensor names of the two layouts the loader reads: HF checkpoints and the engine-native file.</summary>
public static class WeightNames
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
        $"adapters.{adapter}.layers.{layer}.{slot.EngineName()}.lora_{char.ToLowerInvariant(aOrB)}";
}
