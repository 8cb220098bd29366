using System.Diagnostics;
using System.Security.Cryptography;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Everything a failed command must leave alone at an output path: what kind of file it is (as lstat says),
/// its mode, its link target, a hash of its content, and the names of every entry in its directory (a leftover
/// temporary file is a change too).
/// </summary>
internal sealed record OutputPathState(string Kind, string Content, string DirectoryEntries)
{
    public static OutputPathState Of(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string entries = string.Join("\n", Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        if (!Exists(path)) return new OutputPathState("absent", "", entries);
        string kind = Stat(path);
        string content = kind.StartsWith("regular", StringComparison.Ordinal) ? System.Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "";
        return new OutputPathState(kind, content, entries);
    }

    public static void AssertUnchanged(string path, OutputPathState before)
    {
        var after = Of(path);
        Assert.That(after.Kind, Is.EqualTo(before.Kind), $"{path}: the kind or mode changed");
        Assert.That(after.Content, Is.EqualTo(before.Content), $"{path}: the content changed");
        Assert.That(after.DirectoryEntries, Is.EqualTo(before.DirectoryEntries), $"{path}: entries appeared or vanished beside it");
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    // "%F %a %N": file type, octal mode, and the name with its link target for a symbolic link.
    private static string Stat(string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", "%F %a %N", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return text;
    }
}
