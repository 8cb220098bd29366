namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a partial file: the
/// content goes to a temporary file beside the target (named so a later run can remove it if this process is
/// killed, see <see cref="TemporaryNames"/>), is flushed to disk, takes the old file's mode, then is renamed over
/// the target. Targets that are not regular files are refused (<see cref="OutputTarget"/>).
/// </summary>
internal static class AtomicFile
{
    private const int BufferSize = 1 << 20;

    public static T Write<T>(string path, Func<FileStream, T> writeContent)
    {
        string fullPath = OutputTarget.Resolve(path);
        TemporaryNames.RemoveStale(Path.GetDirectoryName(fullPath)!, Path.GetFileName(fullPath));
        string temporaryPath = TemporaryNames.For(fullPath);
        try
        {
            T result;
            using (var stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                result = writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows() && OutputTarget.ExistingMode(fullPath) is { } mode) File.SetUnixFileMode(temporaryPath, mode);
            // Checked again: the target could have been swapped for a device or FIFO while we wrote.
            OutputTarget.Resolve(fullPath);
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
