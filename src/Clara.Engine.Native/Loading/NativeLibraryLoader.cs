using System.Runtime.InteropServices;

namespace Clara.Engine.Native.Loading;

/// <summary>Loads the first of several candidate shared objects and remembers why the others failed.</summary>
public static class NativeLibraryLoader
{
    /// <summary>
    /// Tries each candidate in order and returns the first that loads. Throws
    /// <see cref="NativeLibraryLoadException"/> naming every candidate and the loader's error for each.
    /// </summary>
    public static LoadedLibrary Load(string library, IReadOnlyList<string> candidates)
    {
        ArgumentException.ThrowIfNullOrEmpty(library);
        if (candidates.Count == 0) throw new ArgumentException($"no file names given for {library}", nameof(candidates));

        var attempts = new List<LoadAttempt>(candidates.Count);
        foreach (var candidate in candidates)
        {
            try
            {
                // NativeLibrary.Load (unlike TryLoad) reports the dlopen error, which is what a user
                // needs to see when a dependency or an architecture is wrong rather than the file missing.
                return new LoadedLibrary(library, candidate, NativeLibrary.Load(candidate));
            }
            catch (DllNotFoundException e)
            {
                attempts.Add(new LoadAttempt(candidate, LoaderError(e.Message)));
            }
            catch (BadImageFormatException e)
            {
                attempts.Add(new LoadAttempt(candidate, LoaderError(e.Message)));
            }
        }
        throw new NativeLibraryLoadException(library, attempts);
    }

    /// <summary>
    /// .NET's message is one line of advice ("Unable to load shared library … consider using strace …")
    /// followed by the dynamic loader's own error on the next lines; keep only the latter when present.
    /// </summary>
    private static string LoaderError(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 ? string.Join("; ", lines.Skip(1)) : message.Trim();
    }
}

/// <summary>One candidate file name and the loader's reason for rejecting it.</summary>
public sealed record LoadAttempt(string FileName, string Error);
