namespace Clara.Engine.Pipeline;

/// <summary>
/// The engine's own small CLaRa, trained by <c>tools/train-default-model.sh</c> on a generated corpus of fictional
/// entities (<c>samples/default-model</c>). The build copies it next to every program that references the engine,
/// into <c>models/default</c>, so a command or service without a model of its own still answers.
/// </summary>
public static class DefaultModel
{
    /// <summary>Where the build puts it, relative to the program's folder.</summary>
    public static readonly string RelativePath = Path.Combine("models", "default");

    /// <summary>The default model's directory next to the running program.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, RelativePath);

    /// <summary>Whether the program was built with the default model beside it.</summary>
    public static bool IsInstalled => File.Exists(Path.Combine(Directory, "clara.json"));

    /// <summary>Its directory, or an error that says what to do when the build did not copy it.</summary>
    public static string RequireDirectory() => IsInstalled
        ? Directory
        : throw new DirectoryNotFoundException(
            $"no default model at {Directory}: this program was built without samples/default-model; pass a model directory (--model DIR)");
}
