using System.Text.Json;
using System.Text.Json.Nodes;

namespace Clara.Engine.Models;

/// <summary>
/// One adapter as the engine-native file's <c>clara.adapters</c> metadata records it: the LoRA settings and which
/// projections of which layers carry factors. <paramref name="Layers"/> null: every layer.
/// </summary>
public sealed record EngineAdapterEntry(string Name, int Rank, double Alpha, bool UseRsLora, IReadOnlyList<LinearSlot> Targets, IReadOnlyList<int>? Layers)
{
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>The runtime's view (target_modules in PEFT's names, so a trained copy writes a config PEFT reads).</summary>
    public LoraSettings ToLoraSettings() => new(Rank, (float)Alpha, UseRsLora, Targets.Select(t => t.TargetName()).ToArray());
}

/// <summary>
/// The <c>clara.adapters</c> metadata of the engine-native file: one writer (the converter) and one reader (the loader
/// and <c>convert verify</c>). A JSON object by adapter name, each <c>{"r", "alpha", "rslora", "scale", "targets"
/// (engine slot names, "wq"), "layers"}</c>; scale is informational (alpha / r, or alpha / √r with rsLoRA).
/// </summary>
public static class EngineAdapterMetadata
{
    public static string ToJson(IEnumerable<EngineAdapterEntry> adapters)
    {
        var json = new JsonObject();
        foreach (var a in adapters)
        {
            var entry = new JsonObject
            {
                ["r"] = a.Rank,
                ["alpha"] = a.Alpha,
                ["rslora"] = a.UseRsLora,
                ["scale"] = a.Scale,
                ["targets"] = new JsonArray(a.Targets.Select(t => (JsonNode)t.EngineName()).ToArray()),
            };
            if (a.Layers is { } layers) entry["layers"] = new JsonArray(layers.Select(l => (JsonNode)l).ToArray());
            json[a.Name] = entry;
        }
        return json.ToJsonString();
    }

    /// <exception cref="FormatException">Not the layout above; the message names the adapter and the field.</exception>
    public static IReadOnlyList<EngineAdapterEntry> Parse(string json)
    {
        var adapters = new List<EngineAdapterEntry>();
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
        foreach (var a in doc.RootElement.EnumerateObject())
        {
            var v = a.Value;
            if (v.ValueKind != JsonValueKind.Object) throw new FormatException($"adapter '{a.Name}' is not a JSON object");
            if (!v.TryGetProperty("r", out var r) || r.ValueKind != JsonValueKind.Number || !r.TryGetInt32(out int rank) || rank <= 0)
                throw new FormatException($"adapter '{a.Name}': 'r' is missing or not a positive integer");
            if (!v.TryGetProperty("alpha", out var al) || al.ValueKind != JsonValueKind.Number || !float.IsFinite((float)al.GetDouble()))
                throw new FormatException($"adapter '{a.Name}': 'alpha' is missing or not a finite number");
            bool rsLora = v.TryGetProperty("rslora", out var rs) && rs.ValueKind == JsonValueKind.True;
            var targets = new List<LinearSlot>();
            if (v.TryGetProperty("targets", out var t))
            {
                if (t.ValueKind != JsonValueKind.Array) throw new FormatException($"adapter '{a.Name}': 'targets' is not a list");
                foreach (var e in t.EnumerateArray())
                    targets.Add(e.ValueKind == JsonValueKind.String && LinearSlots.TryParseEngineName(e.GetString()!, out var slot)
                        ? slot
                        : throw new FormatException($"adapter '{a.Name}' lists unknown target {e.GetRawText()}"));
            }
            List<int>? layers = null;
            if (v.TryGetProperty("layers", out var l) && l.ValueKind != JsonValueKind.Null)
            {
                if (l.ValueKind != JsonValueKind.Array || !l.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) && i >= 0))
                    throw new FormatException($"adapter '{a.Name}': 'layers' is not a list of layer indices");
                layers = l.EnumerateArray().Select(e => e.GetInt32()).ToList();
            }
            adapters.Add(new EngineAdapterEntry(a.Name, rank, al.GetDouble(), rsLora, targets, layers));
        }
        return adapters;
    }
}
