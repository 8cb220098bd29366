using System.Text.Json.Nodes;
using Clara.Convert.Model;

namespace Clara.Convert.Planning;

/// <summary>Special-token ids by role (bos, eos, pad, enc, sep, ae, mem…), from clara.json or else config.json.</summary>
internal static class SpecialTokens
{
    public static IReadOnlyDictionary<string, int> From(string? claraJson, HfModelConfig config)
    {
        var ids = new SortedDictionary<string, int>(StringComparer.Ordinal);
        if (config.BosTokenId is { } bos) ids["bos"] = bos;
        if (config.EosTokenId is { } eos) ids["eos"] = eos;
        if (config.PadTokenId is { } pad) ids["pad"] = pad;
        if (claraJson is null || JsonNode.Parse(claraJson) is not JsonObject clara) return ids;

        foreach (var (key, value) in clara)
            if (key.EndsWith("_token_id", StringComparison.Ordinal) && value is JsonValue v && v.TryGetValue<int>(out int id))
                ids[key[..^"_token_id".Length]] = id;
        if (clara["mem_token_ids"] is JsonArray mem)
        {
            var memIds = mem.Select(n => n!.GetValue<int>()).ToList();
            if (memIds.Distinct().Count() == 1) ids["mem"] = memIds[0];
            else for (int i = 0; i < memIds.Count; i++) ids[$"mem{i}"] = memIds[i];
        }
        return ids;
    }
}
