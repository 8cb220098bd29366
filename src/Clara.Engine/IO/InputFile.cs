using Clara.Engine.Native.Files;

namespace Clara.Engine.IO;

/// <summary>
/// Checks a file we are about to read: it exists, it is a regular file (opening a FIFO named model.safetensors would
/// wait forever for a writer) and we may read it. Each failure says which of the three it is.
/// </summary>
public static class InputFile
{
    /// <param name="what">What the file is to us ("model config", "documents file"), for the message.</param>
    public static void Require(string path, string what)
    {
        var kind = FileStatus.Of(Path.GetFullPath(path))?.Kind;
        if (kind == FileKind.SymbolicLink) kind = FollowedKind(path);
        if (kind is null) kind = File.Exists(path) ? FileKind.RegularFile : Directory.Exists(path) ? FileKind.Directory : FileKind.Missing;
        switch (kind)
        {
            case FileKind.RegularFile:
                break;
            case FileKind.Missing:
                throw new FileNotFoundException($"{what} {path} does not exist", path);
            default:
                throw new IOException($"{what} {path} is a {OutputTarget.Describe(kind.Value)}, not a regular file: refusing to read it");
        }
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{what} {path} exists but cannot be read (permission denied)", e);
        }
    }

    private static FileKind FollowedKind(string path)
    {
        var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
        return target is null ? FileKind.Missing : FileStatus.Of(target.FullName)?.Kind ?? FileKind.Unknown;
    }
}
