using System.Security.Cryptography;
using System.Text;
using Clara.Engine.Native.Files;

namespace Clara.Engine.IO;

/// <summary>
/// Remembers facts about a file's whole content (its SHA-256, that its checksums matched) under the file's identity:
/// path, inode, size and modification time to the nanosecond. Reading 14 GB costs seconds, so it is done once per
/// version of a file, not on every start; any rewrite, replacement or touch of the file makes a new identity.
/// Entries live in $CLARA_CACHE_DIR, else $XDG_CACHE_HOME/clara/files, else ~/.cache/clara/files; when none is
/// writable nothing is remembered and the work is simply redone.
/// </summary>
public static class FileIdentityCache
{
    public static string? Directory { get; } = ChooseDirectory();

    /// <summary>The cached value of <paramref name="fact"/> for this version of the file, or the computed one (then cached).</summary>
    public static string GetOrCompute(string path, string fact, Func<string> compute)
    {
        string? entry = EntryPath(path, fact);
        if (entry is not null && File.Exists(entry))
        {
            try { return File.ReadAllText(entry); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        string value = compute();
        if (entry is not null) TryStore(entry, value);
        return value;
    }

    /// <summary>SHA-256 of every byte of the file, as lowercase hex; computed once per version of the file.</summary>
    public static string Sha256(string path) => GetOrCompute(path, "sha256", () =>
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    });

    private static string? EntryPath(string path, string fact)
    {
        if (Directory is null) return null;
        string full = Path.GetFullPath(path);
        var status = FileStatus.Of(full);
        var info = new FileInfo(full);
        // Without statx (not Linux) the inode is unknown; path, size and mtime still identify most rewrites.
        string identity = status is { } s
            ? $"{full}\n{s.Inode}\n{s.Size}\n{s.MTimeSeconds}.{s.MTimeNanoseconds:D9}"
            : $"{full}\n0\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}";
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fact + "\n" + identity)));
        return Path.Combine(Directory, key);
    }

    private static void TryStore(string entry, string value)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
            string temporary = TemporaryNames.For(entry);
            File.WriteAllText(temporary, value);
            File.Move(temporary, entry, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string? ChooseDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("CLARA_CACHE_DIR");
        if (!string.IsNullOrEmpty(configured)) return configured;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "clara", "files");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "clara", "files");
    }
}
