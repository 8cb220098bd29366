using System.Text.Json;

namespace Clara.Engine.Models;

/// <summary>Reads a PEFT adapter_config.json.</summary>
public static class PeftAdapterConfig
{
    public static LoraSettings Load(string path) => IO.JsonConfigFile.Load(path, Parse, "adapter config");

    public static LoraSettings Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("adapter config is not a JSON object");
        if (root.TryGetProperty("peft_type", out var type) && type.GetString() is { } t && t != "LORA")
            throw new FormatException($"peft_type '{t}' is not supported (LORA is)");
        int r = root.TryGetProperty("r", out var rv) ? rv.GetInt32() : throw new FormatException("adapter config lacks 'r'");
        if (r <= 0) throw new FormatException($"LoRA rank r must be positive, got {r}");
        float alpha = root.TryGetProperty("lora_alpha", out var av) ? av.GetSingle() : r;
        bool rs = root.TryGetProperty("use_rslora", out var rsv) && rsv.ValueKind == JsonValueKind.True;
        var targets = new List<string>();
        if (root.TryGetProperty("target_modules", out var tm))
        {
            if (tm.ValueKind == JsonValueKind.Array) targets.AddRange(tm.EnumerateArray().Select(e => e.GetString() ?? ""));
            else if (tm.ValueKind == JsonValueKind.String) targets.Add(tm.GetString()!);
        }
        return new LoraSettings(r, alpha, rs, targets);
    }
}
