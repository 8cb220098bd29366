using Clara.Engine.IO.Safetensors;

namespace Clara.Convert.Torch;

public enum TorchFileKind
{
    Zip,
    Legacy,
    TruncatedZip,
    GitLfsPointer,
    Other,
}

/// <summary>Tells the torch.save layouts (and the usual impostors) apart from the first and last bytes.</summary>
public static class TorchFileSniffer
{
    // pickle of the legacy magic number 0x1950a86a20f9469cfc6c: PROTO 2, LONG1 10 bytes.
    private static ReadOnlySpan<byte> LegacyMagic => [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    private static ReadOnlySpan<byte> ZipLocalHeader => "PK\x03\x04"u8;
    private static ReadOnlySpan<byte> ZipEndOfCentralDirectory => "PK\x05\x06"u8;

    public static TorchFileKind Sniff(string path)
    {
        Clara.Engine.IO.InputFile.Require(path, "checkpoint");
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[64];
        int read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];
        if (GitLfsPointer.IsPointer(head)) return TorchFileKind.GitLfsPointer;
        if (head.StartsWith(LegacyMagic)) return TorchFileKind.Legacy;
        if (!head.StartsWith(ZipLocalHeader)) return TorchFileKind.Other;
        return HasEndOfCentralDirectory(file) ? TorchFileKind.Zip : TorchFileKind.TruncatedZip;
    }

    public static string Describe(TorchFileKind kind) => kind switch
    {
        TorchFileKind.Zip => "a torch.save zip archive",
        TorchFileKind.Legacy => "a legacy (pre-1.6) torch.save file",
        TorchFileKind.TruncatedZip => "a truncated zip archive: it starts like one but its end-of-central-directory record is missing, so the file was cut short (an interrupted download or copy?)",
        TorchFileKind.GitLfsPointer => "a Git LFS pointer file, not the data: fetch the real file with `git lfs pull`",
        _ => "neither a zip archive nor a legacy torch pickle",
    };

    // The end-of-central-directory record sits in the last 22 bytes plus up to 64 KiB of comment.
    private static bool HasEndOfCentralDirectory(FileStream file)
    {
        long tailLength = Math.Min(file.Length, 22 + 65535);
        var tail = new byte[tailLength];
        file.Seek(-tailLength, SeekOrigin.End);
        file.ReadExactly(tail);
        return tail.AsSpan().LastIndexOf(ZipEndOfCentralDirectory) >= 0;
    }
}
