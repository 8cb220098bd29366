namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// A safetensors file (or a sharded checkpoint's index) is malformed. The message always names the
/// file, the specific problem and, where one is involved, the tensor.
/// </summary>
/// <remarks>An <see cref="IOException"/>, so callers that handle "cannot load this file" generically catch it too.</remarks>
public sealed class SafetensorsFormatException : IOException
{
    public SafetensorsFormatException(string filePath, string problem, string? tensorName = null, Exception? inner = null)
        : base(Compose(filePath, problem, tensorName), inner)
    {
        FilePath = filePath;
        Problem = problem;
        TensorName = tensorName;
    }

    public string FilePath { get; }

    /// <summary>The problem alone, without the file and tensor prefix.</summary>
    public string Problem { get; }

    public string? TensorName { get; }

    private static string Compose(string filePath, string problem, string? tensorName) =>
        tensorName is null ? $"{filePath}: {problem}" : $"{filePath}: tensor '{tensorName}': {problem}";
}
