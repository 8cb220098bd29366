using System.Security.Cryptography;

namespace Clara.Engine.Pipeline;

/// <summary>
/// Identifies the vector space of a CLaRa model's memories (base + compressor adapter), so stored memories are
/// never mixed with another model's. Hashing a 14 GB base on every start would cost minutes, so the base is
/// represented by each weight file's length, its safetensors header (names, shapes, offsets) and three 64 KiB
/// samples of its data; the configs and the compressor adapter are hashed whole.
/// </summary>
public static class ModelFingerprint
{
    private const int SampleBytes = 64 * 1024;

    public static string Compute(string modelPath)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (File.Exists(modelPath))
        {
            Sample(sha, modelPath);
        }
        else
        {
            foreach (var name in new[] { "config.json", "clara.json" })
                HashWhole(sha, Path.Combine(modelPath, name));
            foreach (var file in Directory.GetFiles(modelPath, "*.safetensors").Order(StringComparer.Ordinal))
                Sample(sha, file);
            var encoder = Path.Combine(modelPath, "adapters", ClaraModel.EncoderAdapter);
            HashWhole(sha, Path.Combine(encoder, "adapter_config.json"));
            HashWhole(sha, Path.Combine(encoder, "adapter_model.safetensors"));
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void HashWhole(IncrementalHash sha, string path)
    {
        if (!File.Exists(path)) return;
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(path)));
        sha.AppendData(File.ReadAllBytes(path));
    }

    private static void Sample(IncrementalHash sha, string path)
    {
        using var stream = File.OpenRead(path);
        long length = stream.Length;
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(path)));
        sha.AppendData(BitConverter.GetBytes(length));
        var buffer = new byte[SampleBytes];
        // The header (its first 8 bytes give its size) names every tensor, shape and offset.
        long headerEnd = 8;
        if (length >= 8)
        {
            stream.ReadExactly(buffer, 0, 8);
            headerEnd = Math.Min(length, 8 + (long)Math.Min(BitConverter.ToUInt64(buffer, 0), 100_000_000UL));
        }
        foreach (long offset in new[] { 0L, headerEnd, Math.Max(0, length / 2), Math.Max(0, length - SampleBytes) })
        {
            stream.Position = offset;
            int read = stream.ReadAtLeast(buffer, Math.Min(SampleBytes, (int)Math.Min(int.MaxValue, length - offset)), throwOnEndOfStream: false);
            sha.AppendData(buffer, 0, read);
        }
        if (headerEnd > SampleBytes)
        {
            stream.Position = 0;
            var header = new byte[headerEnd];
            stream.ReadExactly(header);
            sha.AppendData(header);
        }
    }
}
