using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Clara.Convert.Model;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
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
        if (!file.Metadata.TryGetValue(EngineFile.FormatVersionKey, out var version))
            problems.Add($"no {EngineFile.FormatVersionKey} in the metadata: not an engine-native file");
        else if (version != EngineFile.SupportedVersion)
            problems.Add($"{EngineFile.FormatVersionKey} is '{version}'; this tool knows '{EngineFile.SupportedVersion}'");

        int matched = CheckChecksums(file, problems);
        CheckLayout(file, problems);
        return new VerifyReport(file.Path, file.Tensors.Count, matched, problems);
    }

    private static int CheckChecksums(SafetensorsFile file, List<string> problems)
    {
        if (file.Metadata.TryGetValue(EngineFileChecksums.AlgorithmKey, out var algorithm) && algorithm != EngineFileChecksums.Algorithm)
        {
            problems.Add($"checksum algorithm '{algorithm}' is not {EngineFileChecksums.Algorithm}");
            return 0;
        }
        if (!file.Metadata.TryGetValue(EngineFileChecksums.ChecksumsKey, out var text) || ParseObject(text) is not { } expected)
        {
            problems.Add($"no readable {EngineFileChecksums.ChecksumsKey} in the metadata");
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
            string actual = EngineFileChecksums.Of(file, entry);
            if (actual == want) matched++;
            else problems.Add($"checksum mismatch: '{entry.Name}' has crc32 {actual}, the header records {want}: the data is corrupted");
        }
        foreach (var (name, _) in expected)
            if (!file.Contains(name)) problems.Add($"a checksum is recorded for '{name}', which the file does not hold");
        return matched;
    }

    private static void CheckLayout(SafetensorsFile file, List<string> problems)
    {
        if (!file.Metadata.TryGetValue(EngineFile.ConfigKey, out var configText))
        {
            problems.Add($"no {EngineFile.ConfigKey} in the metadata: shapes cannot be checked");
            return;
        }
        var config = HfModelConfig.Parse(configText, $"{file.Path} ({EngineFile.ConfigKey})").Model;
        var expected = new Dictionary<string, Shape>(StringComparer.Ordinal);
        foreach (var (name, shape) in WeightLayout.BaseTensors(config, config.VocabSize)) expected[name] = shape;

        if (file.Metadata.TryGetValue(EngineFile.AdaptersKey, out var adaptersText))
        {
            try
            {
                foreach (var adapter in EngineAdapterMetadata.Parse(adaptersText))
                    foreach (var slot in adapter.Targets)
                        foreach (int layer in adapter.Layers ?? Enumerable.Range(0, config.Layers))
                            foreach (char ab in "AB")
                                expected[WeightNames.EngineLora(adapter.Name, layer, slot, ab)] = WeightLayout.LoraShape(config, slot, ab == 'A', adapter.Rank);
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                problems.Add($"{EngineFile.AdaptersKey} is malformed: {e.Message}");
            }
        }

        foreach (var entry in file.Tensors)
        {
            // Q8_0 scales are checked against the I8 weight they belong to.
            if (Q8Blocks.TryWeightOfScales(entry.Name, out var weight) && file.TryGet(weight, out var values) && values.DType == DType.I8)
            {
                try { Q8Blocks.CheckShapes(values.Shape, entry.Shape, entry.DType, $"'{weight}'"); }
                catch (InvalidDataException e) { problems.Add(e.Message); }
                continue;
            }
            if (!expected.Remove(entry.Name, out var shape))
                problems.Add($"unexpected tensor '{entry.Name}': neither clara.config nor clara.adapters accounts for it");
            else if (!entry.Shape.Equals(shape))
                problems.Add($"mis-shaped: '{entry.Name}' is {entry.Shape}, clara.config implies {shape}");
            if (entry.DType == DType.I8 && WeightNames.IsEngineQuantisable(entry.Name))
            {
                if (!file.TryGet(Q8Blocks.ScalesName(entry.Name), out _)) problems.Add($"'{entry.Name}' is I8 (Q8_0 values) but its scales {Q8Blocks.ScalesName(entry.Name)} are missing");
            }
            else if (!entry.DType.IsFloatStorage()) problems.Add($"'{entry.Name}' is {entry.DType}, not a float type");
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
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "an engine-native file written by clara convert" };
        var command = new Command("verify", "check a converted file: checksums, and shapes against its clara.config") { file };
        command.SetAction(p => Run(p.GetValue(file)!, p.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string path, TextWriter stdout)
    {
        var report = EngineFileVerifier.Verify(path);
        foreach (var problem in report.Problems) stdout.WriteLine($"FAIL {problem}");
        stdout.WriteLine(report.Ok
            ? $"OK {report.Path}: {report.TensorCount} tensors, all checksums match, shapes agree with clara.config"
            : $"{report.Problems.Count} problem(s) in {report.Path} ({report.ChecksumsMatched}/{report.TensorCount} checksums match)");
        return report.Ok ? 0 : 1;
    }
}
