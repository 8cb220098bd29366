using System.Security.Cryptography;

namespace Clara.Convert.Output;

/// <summary>Provenance of one input file: where it was and the SHA-256 of its bytes.</summary>
public sealed record SourceHash(string Path, string Sha256)
{
    public static SourceHash Of(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        return new SourceHash(System.IO.Path.GetFullPath(path), System.Convert.ToHexStringLower(SHA256.HashData(file)));
    }
}
