namespace Clara.Engine.Tests.Support;

/// <summary>Paths of the PyTorch-made fixtures (tests/fixtures, copied next to the test assembly).</summary>
public static class Fixtures
{
    public static string Root { get; } = Locate();

    /// <summary>The checkout the tests were built from: README.md, samples/ and tools/ are read from there.</summary>
    public static string RepositoryRoot { get; } = LocateRepository();

    public static string Model(string name) => Path.Combine(Root, "models", name);
    public static string Clara(string name) => Path.Combine(Root, "clara", name);
    public static string Reference(string name) => Path.Combine(Root, "reference", name + ".safetensors");

    private static string LocateRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Clara.Engine.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Clara.Engine.sln above {AppContext.BaseDirectory}");
    }

    private static string Locate()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "fixtures");
        if (Directory.Exists(beside)) return beside;
        throw new DirectoryNotFoundException($"test fixtures not found at {beside}; run /usr/bin/python3 tests/oracle/make_fixtures.py");
    }
}
