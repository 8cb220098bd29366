namespace Clara.Engine.Tests.Support;

/// <summary>Copies a fixture directory, so a test can change its copy.</summary>
public static class DirectoryCopy
{
    /// <summary>Copies every file under <paramref name="from"/> to the same relative path under <paramref name="to"/>; returns <paramref name="to"/>.</summary>
    public static string Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return to;
    }
}
