namespace Clara.Engine.Tests.Support;

/// <summary>Paths of the PyTorch-made fixtures (tests/fixtures, copied next to the test assembly).</summary>
public static class Fixtures
{
    public static string Root { get; } = Locate();

    public static string Model(string name) => Path.Combine(Root, "models", name);
    public static string Clara(string name) => Path.Combine(Root, "clara", name);
    public static string Reference(string name) => Path.Combine(Root, "reference", name + ".safetensors");

    private static string Locate()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "fixtures");
        if (Directory.Exists(beside)) return beside;
        throw new DirectoryNotFoundException($"test fixtures not found at {beside}; run /usr/bin/python3 tests/oracle/make_fixtures.py");
    }
}
