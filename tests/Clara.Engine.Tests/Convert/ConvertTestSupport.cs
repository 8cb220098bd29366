using Clara.Convert.Commands;

namespace Clara.Engine.Tests.Convert;

/// <summary>A scratch directory per test, removed afterwards.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "clara-convert-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Everything under the directory, relative, for asserting that nothing was left behind.</summary>
    public string[] Entries() =>
        Directory.GetFileSystemEntries(Path, "*", SearchOption.AllDirectories).Select(e => System.IO.Path.GetRelativePath(Path, e)).ToArray();

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

internal static class ConvertCli
{
    public static CommandResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = ConvertCommand.Run(args, stdout, stderr);
        return new CommandResult(exit, stdout.ToString(), stderr.ToString());
    }
}
