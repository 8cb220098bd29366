using System.Text.Json.Nodes;
using Clara.Convert.Model;
using Clara.Convert.Planning;

namespace Clara.Convert.Output;

/// <summary>The <c>__metadata__</c> keys of an engine-native file. Every value is a string, as safetensors requires.</summary>
public static class EngineMetadata
{
    public const string FormatVersionKey = "clara.format_version";
    public const string FormatVersion = "1";
    public const string ConfigKey = "clara.config";
    public const string ClaraKey = "clara.clara";
    public const string AdaptersKey = "clara.adapters";
    public const string SpecialTokensKey = "clara.special_tokens";
    public const string SourcesKey = "clara.sources";
    public const string ChecksumsKey = "clara.checksums";
    public const string ChecksumAlgorithmKey = "clara.checksum_algorithm";


    public static Dictionary<string, string> Build(ConversionPlan plan, IReadOnlyList<SourceHash> sources, IReadOnlyDictionary<string, string> checksums)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatVersionKey] = FormatVersion,
            [ConfigKey] = plan.ConfigText,
            [AdaptersKey] = AdaptersJson(plan.Adapters),
            [SpecialTokensKey] = new JsonObject(plan.SpecialTokens.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))).ToJsonString(),
            [SourcesKey] = new JsonArray(sources.Select(s => (JsonNode)new JsonObject { ["path"] = s.Path, ["sha256"] = s.Sha256 }).ToArray()).ToJsonString(),
            [ChecksumsKey] = new JsonObject(checksums.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))).ToJsonString(),
            [ChecksumAlgorithmKey] = ChecksumStream.Algorithm,
        };
        if (plan.ClaraJson is not null) metadata[ClaraKey] = plan.ClaraJson;
        return metadata;
    }

    public static string AdaptersJson(IEnumerable<PlannedAdapter> adapters)
    {
        var json = new JsonObject();
        foreach (var a in adapters)
            json[a.Name] = new JsonObject
            {
                ["r"] = a.Rank,
                ["alpha"] = a.Alpha,
                ["rslora"] = a.UseRsLora,
                ["scale"] = a.Scale,
                ["targets"] = new JsonArray(a.Targets.Select(p => (JsonNode)EngineNames.Name(p)).ToArray()),
                ["layers"] = new JsonArray(a.Layers.Select(l => (JsonNode)l).ToArray()),
            };
        return json.ToJsonString();
    }
}
