namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a partial file: the
/// content goes to a temporary file beside the target, is flushed to disk, then renamed over the target.
/// </summary>
internal static class AtomicFile
{
    private const int BufferSize = 1 << 20;

    public static T Write<T>(string path, Func<FileStream, T> writeContent)
    {
        string fullPath = Path.GetFullPath(path);
        string temporaryPath = $"{fullPath}.tmp-{Guid.NewGuid():N}";
        try
        {
            T result;
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                result = writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporaryPath, fullPath, overwrite: true);
            return result;
        }
        catch
        {
            TryDelete(temporaryPath);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        // The original exception matters more than a failure to clean up after it.
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
