using Clara.Engine.Native.Files;

namespace Clara.Engine.IO;

/// <summary>
/// Decides, before any work starts, what an output path may be: a regular file (replaced atomically, keeping its
/// mode) or nothing yet, in a directory we can write. A symbolic link is followed on purpose (the link stays, the
/// file it points to gets the new content, as a shell redirection does); a device, FIFO, socket or directory is
/// refused, since replacing /dev/null with a regular file or writing into a pipe is never what was meant.
/// </summary>
public static class OutputTarget
{
    /// <summary>
    /// The real path the content will replace, after checking it and removing temporary files that interrupted
    /// runs left beside it (<paramref name="removedStale"/> lists them, so the caller can say so).
    /// </summary>
    public static string Prepare(string path, out IReadOnlyList<string> removedStale)
    {
        string target = Resolve(path);
        string directory = Path.GetDirectoryName(target)!;
        removedStale = TemporaryNames.RemoveStale(directory, Path.GetFileName(target));
        ProbeWritable(path, directory);
        return target;
    }

    /// <summary>The real path behind <paramref name="path"/> (symbolic links followed), refused unless it is a regular file or absent.</summary>
    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        var status = FileStatus.Of(full);
        if (status?.Kind == FileKind.SymbolicLink)
        {
            var final = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)
                ?? throw new IOException($"{path}: the symbolic link cannot be resolved");
            full = final.FullName;
            status = FileStatus.Of(full);
        }
        var kind = status?.Kind ?? (Directory.Exists(full) ? FileKind.Directory : File.Exists(full) ? FileKind.RegularFile : FileKind.Missing);
        if (kind is not (FileKind.RegularFile or FileKind.Missing))
            throw new IOException($"{path}{(full != Path.GetFullPath(path) ? $" (-> {full})" : "")} is a {Describe(kind)}, not a regular file: " +
                                  "refusing to replace it; choose another output path");
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{path}: the output directory {directory} does not exist");
        return full;
    }

    /// <summary>The permission bits an existing target has, for its replacement to keep; null when there is none.</summary>
    public static UnixFileMode? ExistingMode(string target) =>
        !OperatingSystem.IsWindows() && File.Exists(target) ? File.GetUnixFileMode(target) : null;

    // Finding out at the end of an hour-long conversion that the directory is read-only is too late.
    private static void ProbeWritable(string path, string directory)
    {
        string probe = TemporaryNames.For(Path.Combine(directory, "write-probe"));
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"{path}: cannot write in the output directory {directory} ({e.Message})", e);
        }
    }

    internal static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "directory",
        FileKind.Fifo => "FIFO (named pipe)",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Socket => "socket",
        _ => "special file",
    };
}
