using System.Security.Cryptography;
using Clara.Engine.IO;

namespace Clara.Engine.Pipeline;

/// <summary>
/// Identifies the vector space of a CLaRa model's memories (base + compressor adapter), so stored memories are
/// never mixed with another model's. Every byte the memories depend on is hashed: the configs, every weight file
/// of the base and the compressor adapter (a converted file is hashed whole). Sampling was fooled by scaling one
/// norm or projection, so nothing is sampled; the cost (seconds per 14 GB) is paid once per version of each file,
/// because <see cref="FileIdentityCache"/> remembers each file's SHA-256 under its path, inode, size and mtime.
/// </summary>
public static class ModelFingerprint
{
    public static string Compute(string modelPath)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (File.Exists(modelPath))
        {
            HashFile(sha, modelPath);
        }
        else
        {
            foreach (var name in new[] { "config.json", "clara.json" })
                HashFile(sha, Path.Combine(modelPath, name));
            foreach (var file in Directory.GetFiles(modelPath, "*.safetensors").Order(StringComparer.Ordinal))
                HashFile(sha, file);
            var encoder = Path.Combine(modelPath, "adapters", ClaraModel.EncoderAdapter);
            HashFile(sha, Path.Combine(encoder, "adapter_config.json"));
            HashFile(sha, Path.Combine(encoder, "adapter_model.safetensors"));
        }
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void HashFile(IncrementalHash sha, string path)
    {
        if (!File.Exists(path)) return;
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(path) + "\n" + FileIdentityCache.Sha256(path) + "\n"));
    }
}
