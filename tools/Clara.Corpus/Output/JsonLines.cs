using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Clara.Corpus.Output;

/// <summary>Writes one JSON object per line, with fields in the order given, UTF-8, "\n" line ends.</summary>
public sealed class JsonLines : IDisposable
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Stream _stream;
    private readonly MemoryStream _line = new();

    public JsonLines(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _stream = File.Create(path);
    }
    public int Count { get; private set; }

    public void Write(Action<Utf8JsonWriter> fields)
    {
        _line.SetLength(0);
        using (var writer = new Utf8JsonWriter(_line, Options))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }
        _line.WriteByte((byte)'\n');
        _line.Position = 0;
        _line.CopyTo(_stream);
        Count++;
    }

    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    public void Dispose()
    {
        _stream.Dispose();
        _line.Dispose();
    }
}

/// <summary>Plain text, one line per entry (the tokenizer's training corpus).</summary>
public static class TextLines
{
    public static void Write(string path, IEnumerable<string> lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")), new UTF8Encoding(false));
    }
}
