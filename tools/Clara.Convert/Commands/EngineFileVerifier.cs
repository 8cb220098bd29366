using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Nodes;
using Clara.Convert.Model;
using Clara.Convert.Output;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;

namespace Clara.Convert.Commands;

/// <summary>The outcome of checking an engine-native file.</summary>
public sealed record VerifyReport(string Path, int TensorCount, int ChecksumsMatched, IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks an engine-native file on its own: the container is sound, every tensor's CRC-32 matches
/// clara.checksums, and the tensor set and shapes are exactly what clara.config and clara.adapters imply.
/// </summary>
public static class EngineFileVerifier
{
    public static VerifyReport Verify(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var problems = new List<string>();
        if (!file.Metadata.TryGetValue(EngineMetadata.FormatVersionKey, out var version))
            problems.Add($"no {EngineMetadata.FormatVersionKey} in the metadata: not an engine-native file");
        else if (version != EngineMetadata.FormatVersion)
            problems.Add($"{EngineMetadata.FormatVersionKey} is '{version}'; this tool knows '{EngineMetadata.FormatVersion}'");

        int matched = CheckChecksums(file, problems);
        CheckLayout(file, problems);
        return new VerifyReport(file.Path, file.Tensors.Count, matched, problems);
    }

    private static int CheckChecksums(SafetensorsFile file, List<string> problems)
    {
        if (file.Metadata.TryGetValue(EngineMetadata.ChecksumAlgorithmKey, out var algorithm) && algorithm != ChecksumStream.Algorithm)
        {
            problems.Add($"checksum algorithm '{algorithm}' is not {ChecksumStream.Algorithm}");
            return 0;
        }
        if (!file.Metadata.TryGetValue(EngineMetadata.ChecksumsKey, out var text) || ParseObject(text) is not { } expected)
        {
            problems.Add($"no readable {EngineMetadata.ChecksumsKey} in the metadata");
            return 0;
        }
        int matched = 0;
        foreach (var entry in file.Tensors)
        {
            if (expected[entry.Name]?.GetValue<string>() is not { } want)
            {
                problems.Add($"'{entry.Name}' has no checksum");
                continue;
            }
            var crc = new Crc32();
            SafetensorsChunks.ForEachRawChunk(file, entry, chunk => crc.Append(chunk));
            string actual = crc.GetCurrentHashAsUInt32().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
            if (actual == want) matched++;
            else problems.Add($"checksum mismatch: '{entry.Name}' has crc32 {actual}, the header records {want}: the data is corrupted");
        }
        foreach (var (name, _) in expected)
            if (!file.Contains(name)) problems.Add($"a checksum is recorded for '{name}', which the file does not hold");
        return matched;
    }

    private static void CheckLayout(SafetensorsFile file, List<string> problems)
    {
        if (!file.Metadata.TryGetValue(EngineMetadata.ConfigKey, out var configText))
        {
            problems.Add($"no {EngineMetadata.ConfigKey} in the metadata: shapes cannot be checked");
            return;
        }
        var config = HfModelConfig.Parse(configText, $"{file.Path} ({EngineMetadata.ConfigKey})");
        var expected = new Dictionary<string, Shape>(StringComparer.Ordinal);
        foreach (var (name, shape) in ModelLayout.BaseTensors(config, config.VocabSize)) expected[name] = shape;

        if (file.Metadata.TryGetValue(EngineMetadata.AdaptersKey, out var adaptersText))
        {
            foreach (var (adapter, node) in ParseObject(adaptersText) ?? [])
            {
                int rank = node?["r"]?.GetValue<int>() ?? 0;
                var layers = (node?["layers"] as JsonArray)?.Select(l => l!.GetValue<int>()).ToList() ?? Enumerable.Range(0, config.Layers).ToList();
                foreach (var target in node?["targets"] as JsonArray ?? [])
                {
                    if (target?.GetValue<string>() is not { } targetName || !EngineNames.TryParseName(targetName, out var projection))
                    {
                        problems.Add($"adapter '{adapter}' lists unknown target {target?.ToJsonString()}");
                        continue;
                    }
                    foreach (int layer in layers)
                        foreach (bool isA in new[] { true, false })
                            expected[EngineNames.Lora(adapter, layer, projection, isA)] = ModelLayout.LoraShape(config, projection, isA, rank);
                }
            }
        }

        foreach (var entry in file.Tensors)
        {
            if (!expected.Remove(entry.Name, out var shape))
                problems.Add($"unexpected tensor '{entry.Name}': neither clara.config nor clara.adapters accounts for it");
            else if (!entry.Shape.Equals(shape))
                problems.Add($"mis-shaped: '{entry.Name}' is {entry.Shape}, clara.config implies {shape}");
            if (!entry.DType.IsFloatStorage()) problems.Add($"'{entry.Name}' is {entry.DType}, not a float type");
        }
        foreach (var (name, shape) in expected) problems.Add($"missing: '{name}' {shape}");
    }

    private static JsonObject? ParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

internal static class VerifyCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length != 1) throw new UsageException("verify takes one FILE");
        var report = EngineFileVerifier.Verify(args[0]);
        foreach (var problem in report.Problems) stdout.WriteLine($"FAIL {problem}");
        stdout.WriteLine(report.Ok
            ? $"OK {report.Path}: {report.TensorCount} tensors, all checksums match, shapes agree with clara.config"
            : $"{report.Problems.Count} problem(s) in {report.Path} ({report.ChecksumsMatched}/{report.TensorCount} checksums match)");
        return report.Ok ? 0 : 1;
    }
}
