using NUnit.Framework;
using System.Buffers.Binary;
using System.Text.Json;

namespace Clara.Engine.Tests.Convert;

/// <summary>Paths into tests/fixtures/checkpoint-forms (written by tests/oracle/make_checkpoint_forms.py).</summary>
internal static class Fixtures
{
    public static string Root => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "checkpoint-forms");
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);
    public static string Expected(string name) => File("expected", name);

    public static JsonElement Facts => JsonDocument.Parse(System.IO.File.ReadAllText(Expected("facts.json"))).RootElement;
}

/// <summary>One tensor of a reference safetensors file written by the Python oracle.</summary>
internal sealed record ReferenceTensor(string DType, long[] Shape, byte[] Bytes);

/// <summary>
/// A deliberately separate, minimal safetensors parser for the Python-written reference files, so the
/// expected values do not pass through the code under test.
/// </summary>
internal static class ReferenceSafetensors
{
    public static Dictionary<string, ReferenceTensor> Read(string path)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        long dataStart = 8 + headerLength;
        var result = new Dictionary<string, ReferenceTensor>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            result[entry.Name] = new ReferenceTensor(
                entry.Value.GetProperty("dtype").GetString()!,
                entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                bytes.AsSpan((int)(dataStart + offsets[0]), (int)(offsets[1] - offsets[0])).ToArray());
        }
        return result;
    }

    public static Dictionary<string, string> Metadata(string path)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        return header.RootElement.TryGetProperty("__metadata__", out var meta)
            ? meta.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
            : [];
    }
}
