using System.IO.Hashing;
using System.Text.Json;
using Clara.Engine.IO;
using Clara.Engine.IO.Safetensors;

namespace Clara.Engine.Models;

/// <summary>When an engine-native file's per-tensor CRC-32s (written by clara convert) are checked on load.</summary>
public enum ChecksumPolicy
{
    /// <summary>On the first load of each version of the file (see <see cref="FileIdentityCache"/>); the default.</summary>
    FirstLoad,
    Always,
    Never,
}

/// <summary>
/// Checks every tensor of an engine-native file against the CRC-32s in its clara.checksums metadata, so a flipped
/// byte (disk, copy, download) is an error naming the tensor instead of a model that silently answers differently.
/// </summary>
public static class EngineFileChecksums
{
    public const string ChecksumsKey = "clara.checksums";
    public const string AlgorithmKey = "clara.checksum_algorithm";

    /// <summary>CRC-32 (IEEE 802.3, the zlib polynomial): every toolchain has it (Python: zlib.crc32), so a file can be checked without this engine.</summary>
    public const string Algorithm = "crc32";

    /// <summary>The checksum of a stored tensor's bytes, as 8 lowercase hex digits (Python's <c>format(zlib.crc32(data), "08x")</c>).</summary>
    public static unsafe string Of(SafetensorsFile file, SafetensorsEntry entry)
    {
        var crc = new Crc32();
        byte* start = file.GetPointer(entry);
        for (long offset = 0; offset < entry.ByteLength; offset += 1 << 30)
            crc.Append(new ReadOnlySpan<byte>(start + offset, (int)Math.Min(1 << 30, entry.ByteLength - offset)));
        return Hex(crc);
    }

    public static string Hex(Crc32 crc) => crc.GetCurrentHashAsUInt32().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>From $CLARA_VERIFY_CHECKSUMS (first | always | never); settable by a host.</summary>
    public static ChecksumPolicy Policy { get; set; } = Environment.GetEnvironmentVariable("CLARA_VERIFY_CHECKSUMS")?.ToLowerInvariant() switch
    {
        "always" => ChecksumPolicy.Always,
        "never" => ChecksumPolicy.Never,
        _ => ChecksumPolicy.FirstLoad,
    };

    public static void VerifyPerPolicy(string path)
    {
        switch (Policy)
        {
            case ChecksumPolicy.Never:
                return;
            case ChecksumPolicy.Always:
                Verify(path);
                return;
            default:
                // Only a successful check is remembered: a failure throws before anything is stored.
                FileIdentityCache.GetOrCompute(path, "crc32-verified", () => { Verify(path); return "verified"; });
                return;
        }
    }

    public static void Verify(string path)
    {
        using var file = SafetensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(ChecksumsKey, out var json)) return; // written before checksums existed
        if (file.Metadata.TryGetValue(AlgorithmKey, out var algorithm) && algorithm != Algorithm)
            throw new InvalidDataException($"{path}: {AlgorithmKey} is '{algorithm}'; this engine checks {Algorithm}");
        Dictionary<string, string> expected;
        try
        {
            expected = JsonSerializer.Deserialize(json, ChecksumJson.Default.DictionaryStringString)
                ?? throw new InvalidDataException($"{path}: metadata {ChecksumsKey} is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: metadata {ChecksumsKey} is malformed: {e.Message}", e);
        }
        var bad = new List<string>();
        foreach (var entry in file.Tensors)
        {
            if (!expected.TryGetValue(entry.Name, out var want)) { bad.Add($"{entry.Name} has no checksum"); continue; }
            string actual = Of(file, entry);
            if (actual != want) bad.Add($"{entry.Name}: crc32 {actual}, expected {want}");
        }
        if (bad.Count > 0)
            throw new InvalidDataException($"{path}: {bad.Count} tensor(s) do not match the checksums written at conversion " +
                                           $"(the file is damaged; set CLARA_VERIFY_CHECKSUMS=never to load it anyway):" + ConfigLimits.ListProblems(bad));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ChecksumJson : System.Text.Json.Serialization.JsonSerializerContext;
