namespace Clara.Engine.Tests.Hostile;

/// <summary>A scratch directory per hostile case, removed afterwards.</summary>
internal sealed class HostileScratch : IDisposable
{
    public HostileScratch()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "clara-hostile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        System.IO.File.WriteAllBytes(File(name), bytes);
        return File(name);
    }

    public string WriteText(string name, string text)
    {
        System.IO.File.WriteAllText(File(name), text);
        return File(name);
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
