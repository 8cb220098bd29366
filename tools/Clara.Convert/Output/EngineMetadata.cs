using System.Text.Json.Nodes;
using Clara.Convert.Planning;
using Clara.Engine.Models;

namespace Clara.Convert.Output;

/// <summary>
/// The <c>__metadata__</c> of an engine-native file, under the keys the engine defines (<see cref="EngineFile"/>,
/// <see cref="EngineFileChecksums"/>, <see cref="EngineAdapterMetadata"/>). Every value is a string, as safetensors requires.
/// </summary>
public static class EngineMetadata
{
    public static Dictionary<string, string> Build(ConversionPlan plan, IReadOnlyList<SourceHash> sources, IReadOnlyDictionary<string, string> checksums)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [EngineFile.FormatVersionKey] = EngineFile.SupportedVersion,
            [EngineFile.ConfigKey] = plan.ConfigText,
            [EngineFile.AdaptersKey] = EngineAdapterMetadata.ToJson(plan.Adapters.Select(a => a.Entry)),
            [EngineFile.SpecialTokensKey] = new JsonObject(plan.SpecialTokens.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))).ToJsonString(),
            [EngineFile.SourcesKey] = new JsonArray(sources.Select(s => (JsonNode)new JsonObject { ["path"] = s.Path, ["sha256"] = s.Sha256 }).ToArray()).ToJsonString(),
            [EngineFileChecksums.ChecksumsKey] = new JsonObject(checksums.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))).ToJsonString(),
            [EngineFileChecksums.AlgorithmKey] = EngineFileChecksums.Algorithm,
        };
        if (plan.ClaraJson is not null) metadata[EngineFile.ClaraKey] = plan.ClaraJson;
        return metadata;
    }
}
