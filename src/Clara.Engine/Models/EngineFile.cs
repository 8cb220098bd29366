using System.Text.Json;
using Clara.Engine.Backends;
using Clara.Engine.IO.Safetensors;

namespace Clara.Engine.Models;

/// <summary>
/// The engine-native file written by <c>clara convert</c>: one safetensors container with the base under engine
/// names, every adapter as <c>adapters.{name}.layers.{i}.{proj}.lora_a|lora_b</c>, and the configs in metadata.
/// </summary>
public static class EngineFile
{
    public const string FormatVersionKey = "clara.format_version";
    public const string SupportedVersion = "1";
    public const string ConfigKey = "clara.config";
    public const string ClaraKey = "clara.clara";
    public const string AdaptersKey = "clara.adapters";
    public const string SpecialTokensKey = "clara.special_tokens";
    public const string SourcesKey = "clara.sources";

    /// <summary>True when <paramref name="path"/> is a file (not a directory) that declares the engine format.</summary>
    public static bool Is(string path)
    {
        if (!File.Exists(path)) return false;
        using var file = SafetensorsFile.Open(path);
        return file.Metadata.ContainsKey(FormatVersionKey);
    }

    public static (ModelWeights Weights, List<LoraAdapter> Adapters, string? ClaraJson) Load(string path, IBackend backend)
    {
        EngineFileChecksums.VerifyPerPolicy(path);
        var source = WeightSource.OpenFile(path);
        var adapters = new List<LoraAdapter>();
        ModelWeights? weights = null;
        try
        {
            var metadata = Read(path, source.Metadata);
            if (metadata.Version != SupportedVersion)
                throw new InvalidDataException($"{path}: engine format version '{metadata.Version}' is not supported (this engine reads {SupportedVersion})");
            var config = ParseMetadata(path, ConfigKey, metadata.Config ?? throw new InvalidDataException($"{path}: metadata lacks {ConfigKey}"), ModelConfig.Parse);
            // Parsed here, where the key can be named; the CLaRa layer parses it again to use it.
            if (metadata.Clara is { } claraJson) ParseMetadata(path, ClaraKey, claraJson, Pipeline.ClaraConfig.Parse);
            weights = CheckpointLoader.Load(config, source, backend, new EngineNames());
            foreach (var (name, settings) in metadata.Adapters)
                adapters.Add(CheckpointLoader.LoadAdapter(name, settings, config, source, backend,
                    (layer, slot, ab) => WeightNames.EngineLora(name, layer, slot, ab), namePrefix: $"adapters.{name}.", ownsSource: false));
            return (weights, adapters, metadata.Clara);
        }
        catch
        {
            foreach (var a in adapters) a.Dispose();
            if (weights is null) source.Dispose();
            else weights.Dispose();
            throw;
        }
    }

    private static T ParseMetadata<T>(string path, string key, string json, Func<string, T> parse)
    {
        try
        {
            return parse(json);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: metadata {key} is malformed: {e.Message}", e);
        }
    }

    private static (string? Version, string? Config, string? Clara, IReadOnlyList<(string, LoraSettings)> Adapters) Read(string path, IReadOnlyDictionary<string, string> m)
    {
        IReadOnlyList<(string, LoraSettings)> adapters = m.TryGetValue(AdaptersKey, out var json)
            ? ParseMetadata(path, AdaptersKey, json, EngineAdapterMetadata.Parse).Select(a => (a.Name, a.ToLoraSettings())).ToList()
            : [];
        return (m.GetValueOrDefault(FormatVersionKey), m.GetValueOrDefault(ConfigKey), m.GetValueOrDefault(ClaraKey), adapters);
    }
}
