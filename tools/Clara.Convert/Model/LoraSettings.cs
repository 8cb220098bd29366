using System.Text.Json;
using System.Text.Json.Nodes;

namespace Clara.Convert.Model;

/// <summary>
/// LoRA hyperparameters of one adapter: y = W x + scale · B (A x), scale = alpha / r, or alpha / √r with rsLoRA.
/// </summary>
/// <param name="TargetModules">PEFT's target_modules as configured ("all-linear" comes through as null).</param>
/// <param name="LayersToTransform">PEFT's layers_to_transform; null means every layer.</param>
public sealed record LoraSettings(int Rank, double Alpha, bool UseRsLora, IReadOnlyList<string>? TargetModules,
    IReadOnlyList<int>? LayersToTransform, string Source)
{
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Reads a PEFT adapter_config.json.</summary>
    public static LoraSettings LoadPeftConfig(string path)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }

        var problems = new List<string>();
        if (json["peft_type"]?.GetValue<string>() is { } type && type != "LORA")
            problems.Add($"peft_type is {type}; only LORA adapters can be converted");
        int rank = json["r"] is JsonValue r && r.TryGetValue<int>(out int rv) && rv > 0 ? rv : Problem(problems, "'r' is missing or not a positive integer", 0);
        double alpha = json["lora_alpha"] is JsonValue a && a.TryGetValue<double>(out double av) ? av : Problem(problems, "'lora_alpha' is missing or not a number", 0.0);
        bool rsLora = json["use_rslora"] is JsonValue rs && rs.TryGetValue<bool>(out bool rsv) && rsv;
        if (json["use_dora"] is JsonValue d && d.TryGetValue<bool>(out bool dora) && dora)
            problems.Add("use_dora is true; DoRA adapters are not supported");
        foreach (var key in new[] { "rank_pattern", "alpha_pattern" })
            if (json[key] is JsonObject { Count: > 0 })
                problems.Add($"'{key}' gives some modules their own rank/alpha; per-module LoRA settings are not supported");

        IReadOnlyList<string>? targets = json["target_modules"] switch
        {
            JsonArray list => list.Select(n => n?.GetValue<string>() ?? "").ToList(),
            JsonValue v when v.TryGetValue<string>(out var s) && s == "all-linear" => null,
            JsonValue v when v.TryGetValue<string>(out var s) => Problem<IReadOnlyList<string>?>(problems, $"target_modules is the regular expression '{s}'; list the modules instead", null),
            _ => null,
        };
        IReadOnlyList<int>? layers = json["layers_to_transform"] switch
        {
            JsonArray list => list.Select(n => n!.GetValue<int>()).ToList(),
            JsonValue v when v.TryGetValue<int>(out int single) => [single],
            _ => null,
        };
        if (problems.Count > 0) throw new InvalidDataException($"{path}: {string.Join("; ", problems)}");
        return new LoraSettings(rank, alpha, rsLora, targets, layers, path);
    }

    private static T Problem<T>(List<string> problems, string problem, T placeholder)
    {
        problems.Add(problem);
        return placeholder;
    }
}
