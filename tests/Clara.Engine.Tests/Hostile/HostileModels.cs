using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Clara.Engine.Tests.Support;

namespace Clara.Engine.Tests.Hostile;

/// <summary>Generators for broken models: HF directories with a doctored config.json, converted files with doctored metadata or bytes.</summary>
internal static class HostileModels
{
    private static string FixtureRoot => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures");

    public static string ClaraDirectory => Path.Combine(FixtureRoot, "clara", "clara-distinct");

    /// <summary>A copy of the small HF fixture (2 layers, hidden 24) whose config.json <paramref name="edit"/> changes.</summary>
    public static string HfDirectory(HostileScratch scratch, Action<JsonObject> edit, string name = "model")
    {
        string source = Path.Combine(FixtureRoot, "checkpoint-forms", "hf-single");
        string target = scratch.File(name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(target, "config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(Path.Combine(target, "config.json"), config.ToJsonString());
        return target;
    }

    /// <summary>The CLaRa fixture converted to the engine-native file (configs, adapters and CRC-32s in its metadata).</summary>
    public static string ConvertedClara(HostileScratch scratch, string name = "clara.safetensors")
    {
        string output = scratch.File(name);
        int code = Clara.Convert.Commands.ConvertCommand.Run([ClaraDirectory, "--out", output, "--dtype", "f32", "--quiet"], TextWriter.Null, TextWriter.Null);
        Assert.That(code, Is.EqualTo(0), "converting the CLaRa fixture");
        return output;
    }

    /// <summary>A copy of a safetensors file whose header metadata <paramref name="edit"/> changes; the data is untouched.</summary>
    public static string WithMetadata(string source, string target, Action<JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(source);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!.AsObject();
        edit(header["__metadata__"]!.AsObject());
        var newHeader = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var output = File.Create(target);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)newHeader.Length);
        output.Write(prefix);
        output.Write(newHeader);
        output.Write(bytes.AsSpan(8 + (int)headerLength));
        return target;
    }

    /// <summary>A copy of the CLaRa fixture directory.</summary>
    public static string ClaraCopy(HostileScratch scratch, string name = "clara") => DirectoryCopy.Copy(ClaraDirectory, scratch.File(name));

    /// <summary>Overwrites every element of an F32 tensor of a safetensors file in place.</summary>
    public static void FillTensor(string path, string tensor, float value)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!.AsObject();
        var entry = header[tensor]!.AsObject();
        Assert.That(entry["dtype"]!.GetValue<string>(), Is.EqualTo("F32"));
        long start = 8 + headerLength + entry["data_offsets"]![0]!.GetValue<long>();
        long end = 8 + headerLength + entry["data_offsets"]![1]!.GetValue<long>();
        for (long at = start; at < end; at += 4) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)at), value);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A copy of a file with one bit flipped <paramref name="fromEnd"/> bytes before its end (inside the last tensor's data).</summary>
    public static string WithFlippedByte(string source, string target, int fromEnd = 100)
    {
        var bytes = File.ReadAllBytes(source);
        bytes[^fromEnd] ^= 0x10;
        File.WriteAllBytes(target, bytes);
        return target;
    }
}
