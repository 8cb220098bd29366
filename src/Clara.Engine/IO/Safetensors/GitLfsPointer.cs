namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// Recognises Git LFS pointer files: a clone made without <c>git lfs</c> leaves these ~130-byte text
/// stubs where the weights should be, and without this check they surface as a baffling header error.
/// </summary>
public static class GitLfsPointer
{
    private static ReadOnlySpan<byte> Signature => "version https://git-lfs.github.com/spec/"u8;

    public static int SignatureLength => Signature.Length;

    public static bool IsPointer(ReadOnlySpan<byte> fileStart) => fileStart.StartsWith(Signature);

    /// <summary>True when the file at <paramref name="path"/> starts like an LFS pointer. Missing or unreadable files are not pointers.</summary>
    public static bool IsPointerFile(string path)
    {
        Span<byte> start = stackalloc byte[Signature.Length];
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            return stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) == start.Length && IsPointer(start);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    public static SafetensorsFormatException Error(string path) =>
        new(path, "this file is a Git LFS pointer, not the weights: run git lfs pull");
}
