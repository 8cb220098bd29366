using System.Text.Json;

namespace Clara.Engine.Models;

/// <summary>
/// What an adapter_config.json says, as both the engine and the converter understand it.
/// <paramref name="TargetModules"/> is null for "all-linear" (or when absent); <paramref name="LayersToTransform"/> is null for every layer.
/// </summary>
public sealed record PeftConfigValues(int Rank, double Alpha, bool UseRsLora, IReadOnlyList<string>? TargetModules, IReadOnlyList<int>? LayersToTransform);

/// <summary>
/// Reads a PEFT adapter_config.json: the one parser the runtime and the converter share, so a setting is either
/// honoured or refused the same way in both. Honoured: r, lora_alpha, use_rslora, target_modules (a list, or
/// "all-linear"), layers_to_transform (the loader refuses factors outside them). Refused, because results would
/// silently differ from PEFT's: use_dora, non-empty rank_pattern / alpha_pattern, a regular-expression
/// target_modules, and any peft_type but LORA.
/// </summary>
public static class PeftAdapterConfig
{
    /// <summary>
    /// What PEFT applies when adapter_config.json has no lora_alpha: the field default of its LoraConfig dataclass
    /// (peft/tuners/lora/config.py: <c>lora_alpha: int = field(default=8, ...)</c>), since PEFT builds the config
    /// from the file's keys and leaves the rest at their defaults. Not r, not 2·r.
    /// </summary>
    public const double DefaultLoraAlpha = 8;

    public static LoraSettings Load(string path) => IO.JsonConfigFile.Load(path, Parse, "adapter config");

    public static PeftConfigValues LoadValues(string path) => IO.JsonConfigFile.Load(path, ParseValues, "adapter config");

    public static LoraSettings Parse(string json)
    {
        return LoraSettings.From(ParseValues(json));
    }

    /// <summary>
    /// adapter_config.json for <paramref name="v"/>: the one writer (trainer output, converter directories), holding
    /// the fields this parser and PEFT read back. Dropout 0 and no bias: the engine trains and applies neither.
    /// </summary>
    public static string ToJson(PeftConfigValues v)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("peft_type", "LORA");
            w.WriteString("task_type", "CAUSAL_LM");
            w.WriteNumber("r", v.Rank);
            w.WriteNumber("lora_alpha", v.Alpha);
            w.WriteBoolean("use_rslora", v.UseRsLora);
            if (v.TargetModules is null) w.WriteString("target_modules", "all-linear");
            else
            {
                w.WriteStartArray("target_modules");
                foreach (var t in v.TargetModules) w.WriteStringValue(t);
                w.WriteEndArray();
            }
            if (v.LayersToTransform is { } layers)
            {
                w.WriteStartArray("layers_to_transform");
                foreach (int l in layers) w.WriteNumberValue(l);
                w.WriteEndArray();
            }
            w.WriteNumber("lora_dropout", 0.0);
            w.WriteString("bias", "none");
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <exception cref="FormatException">Every problem at once, each naming its field.</exception>
    public static PeftConfigValues ParseValues(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("adapter config is not a JSON object");
        var problems = new List<string>();
        if (root.TryGetProperty("peft_type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() is { } t && t != "LORA")
            problems.Add($"peft_type '{t}' is not supported (LORA is)");
        int rank = root.TryGetProperty("r", out var rv) && rv.ValueKind == JsonValueKind.Number && rv.TryGetInt32(out int r) && r > 0 ? r : 0;
        if (rank == 0) problems.Add("'r' is missing or not a positive integer");
        double alpha = DefaultLoraAlpha;
        if (root.TryGetProperty("lora_alpha", out var av))
        {
            if (av.ValueKind == JsonValueKind.Number && av.TryGetDouble(out double a) && float.IsFinite((float)a) && a > 0) alpha = a;
            else problems.Add($"'lora_alpha' is {av.GetRawText()}, not a positive finite float32 number");
        }
        bool rsLora = root.TryGetProperty("use_rslora", out var rs) && rs.ValueKind == JsonValueKind.True;
        if (root.TryGetProperty("use_dora", out var dora) && dora.ValueKind == JsonValueKind.True)
            problems.Add("use_dora is true; DoRA adapters are not supported");
        foreach (var key in new[] { "rank_pattern", "alpha_pattern" })
            if (root.TryGetProperty(key, out var pattern) && pattern.ValueKind == JsonValueKind.Object && pattern.EnumerateObject().Any())
                problems.Add($"'{key}' gives some modules their own rank/alpha; per-module LoRA settings are not supported");

        IReadOnlyList<string>? targets = null;
        if (root.TryGetProperty("target_modules", out var tm))
        {
            if (tm.ValueKind == JsonValueKind.Array)
                targets = tm.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : "").ToList();
            else if (tm.ValueKind == JsonValueKind.String && tm.GetString() is { } s && s != "all-linear")
                problems.Add($"target_modules is the regular expression '{s}'; list the modules instead");
        }
        IReadOnlyList<int>? layers = null;
        if (root.TryGetProperty("layers_to_transform", out var lt))
        {
            if (lt.ValueKind == JsonValueKind.Array && lt.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
                layers = lt.EnumerateArray().Select(e => e.GetInt32()).ToList();
            else if (lt.ValueKind == JsonValueKind.Number && lt.TryGetInt32(out int single)) layers = [single];
            else if (lt.ValueKind != JsonValueKind.Null) problems.Add($"layers_to_transform is {lt.GetRawText()}, not a layer index or a list of them");
        }
        if (root.TryGetProperty("layers_pattern", out var lp) && lp.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && layers is null)
            problems.Add("layers_pattern is set without layers_to_transform; it is not supported");
        if (problems.Count > 0) throw new FormatException(string.Join("; ", problems));
        return new PeftConfigValues(rank, alpha, rsLora, targets, layers);
    }
}
