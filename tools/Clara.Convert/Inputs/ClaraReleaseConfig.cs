using System.Text.Json.Nodes;

namespace Clara.Convert.Inputs;

/// <summary>
/// The fields of the CLaRa reference's own config.json (its CLaRaConfig) that the conversion needs.
/// The reference builds every adapter with LoraConfig(r=lora_r, lora_alpha=2*lora_r, target_modules='all-linear').
/// </summary>
public sealed record ClaraReleaseConfig(
    string Source, int LoraRank, int DocMaxLength, int CompressionRate, bool DifferentMemTokens, int GenerationTopK)
{
    /// <summary>The reference hard-codes lora_alpha = 2·r in <c>_get_peft_config</c>.</summary>
    public double LoraAlpha => 2.0 * LoraRank;

    public int MemoryTokenCount => DocMaxLength / CompressionRate;

    public static ClaraReleaseConfig Load(string path)
    {
        var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new InvalidDataException($"{path}: not a JSON object");
        int Int(string key, int fallback) => json[key] is JsonValue v && v.TryGetValue<int>(out int value) ? value : fallback;
        bool Bool(string key) => json[key] is JsonValue v && v.TryGetValue<bool>(out bool value) && value;
        // Defaults are CLaRaConfig's own.
        var config = new ClaraReleaseConfig(path, Int("lora_r", 16), Int("doc_max_length", 128), Int("compr_rate", 64),
            Bool("different_mem_tokens"), Int("generation_top_k", 1));
        if (config.LoraRank <= 0 || config.CompressionRate <= 0 || config.DocMaxLength < config.CompressionRate)
            throw new InvalidDataException($"{path}: lora_r {config.LoraRank}, doc_max_length {config.DocMaxLength}, compr_rate {config.CompressionRate} are not usable");
        return config;
    }
}
