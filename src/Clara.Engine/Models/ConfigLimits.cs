namespace Clara.Engine.Models;

/// <summary>
/// Upper bounds on config.json values. Every real Mistral/Llama-family model is far inside them (Llama-3 405B:
/// 126 layers, hidden 16384, vocabulary 128256); a value past them is a typo or a hostile file, and believing
/// it would make loading enumerate millions of tensor names or size buffers past 2^31 elements.
/// </summary>
public static class ConfigLimits
{
    public const int MaxLayers = 1024;
    public const int MaxHiddenSize = 1 << 16;
    public const int MaxIntermediateSize = 1 << 18;
    public const int MaxHeads = 1024;
    public const int MaxHeadDim = 1024;
    public const int MaxVocabSize = 1 << 24;
    public const int MaxPositionEmbeddings = 1 << 24;

    /// <summary>RoPE base; float32 must hold it and its powers stay meaningful (real models use 1e4 to 1e8).</summary>
    public const double MaxRopeTheta = 1e12;

    /// <summary>How many problems an error message lists before it only counts the rest.</summary>
    public const int MaxListedProblems = 50;

    /// <summary>"N problems:\n  a\n  b\n  ... and M more" with at most <see cref="MaxListedProblems"/> listed.</summary>
    public static string ListProblems(IReadOnlyCollection<string> problems)
    {
        var listed = problems.Take(MaxListedProblems).ToList();
        string more = problems.Count > listed.Count ? $"\n  ... and {problems.Count - listed.Count} more" : "";
        return "\n  " + string.Join("\n  ", listed) + more;
    }
}
