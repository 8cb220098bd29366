using Clara.Engine.IO;

namespace Clara.Cli;

/// <summary>Checks a command's output path before the command does any work, and says which leftovers of killed runs it removed.</summary>
internal static class OutputFile
{
    public static void Prepare(string path, TextWriter stderr)
    {
        OutputTarget.Prepare(path, out var removed);
        foreach (var stale in removed) stderr.WriteLine($"note: removed {stale}, a temporary file left by an interrupted run");
    }
}
