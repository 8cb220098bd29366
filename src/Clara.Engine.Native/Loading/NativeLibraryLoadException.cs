using System.Text;

namespace Clara.Engine.Native.Loading;

/// <summary>None of a library's candidate files could be loaded.</summary>
public sealed class NativeLibraryLoadException : DllNotFoundException
{
    public NativeLibraryLoadException(string library, IReadOnlyList<LoadAttempt> attempts)
        : base(Describe(library, attempts))
    {
        Library = library;
        Attempts = attempts;
    }

    public string Library { get; }
    public IReadOnlyList<LoadAttempt> Attempts { get; }

    private static string Describe(string library, IReadOnlyList<LoadAttempt> attempts)
    {
        var text = new StringBuilder($"could not load {library}; tried {attempts.Count} file name(s):");
        foreach (var attempt in attempts)
            text.Append("\n  ").Append(attempt.FileName).Append(": ").Append(attempt.Error);
        return text.ToString();
    }
}
