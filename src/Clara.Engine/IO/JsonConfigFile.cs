using System.Text.Json;

namespace Clara.Engine.IO;

/// <summary>Reads a small JSON config file, turning every parse or validation problem into one error that names the file.</summary>
public static class JsonConfigFile
{
    public static T Load<T>(string path, Func<string, T> parse, string what)
    {
        InputFile.Require(path, what);
        try
        {
            return parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
