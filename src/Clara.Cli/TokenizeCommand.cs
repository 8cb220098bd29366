using System.CommandLine;
using System.Text;
using Clara.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Clara.Engine.Tokenization;

namespace Clara.Cli;

/// <summary>
/// clara tokenize: the model directory's tokenizer alone (no weights are read) — ids and tokens of a text, the text
/// of ids, or a JSON-lines file of texts turned into ids. It is how the engine's tokenizer is compared with another
/// one, and how a pre-tokenized documents file (<c>{"id","ids"}</c>) is made for the commands that take ids.
/// </summary>
internal sealed class TokenizeCommand : ICommand
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Option<string> _model = ModelOption.OrDefault();
    private readonly Option<string> _text = Options.Text("--text", "TEXT", "the ids and tokens of this text");
    private readonly Option<string> _file = Options.Text("--file", "F.jsonl", "{\"id\",\"text\"} lines to {\"id\",\"ids\"} lines");
    private readonly Option<int[]?> _decode = Options.TokenIds("--decode", "the text of these ids (special ids skipped)");
    private readonly Option<bool> _json = Options.Flag("--json", "print JSON");

    public Command Create()
    {
        var command = new Command("tokenize", "ids and tokens of a text, the text of ids, or {\"id\",\"text\"} lines turned into {\"id\",\"ids\"} lines (no BOS/EOS added)")
            .With(_model, _text, _file, _decode, _json).With(Run);
        OptionRules.ExactlyOne(command, "give exactly one of --text, --file or --decode", _text, _file, _decode);
        return command;
    }

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var text = p.GetValue(_text);
        var file = p.GetValue(_file);
        var ids = p.GivenValue(_decode);
        bool json = p.GetValue(_json);

        var tokenizer = TokenizerLoader.Load(modelPath);
        if (text is not null) WriteEncoding(tokenizer, text, json, stdout);
        else if (ids is not null) WriteDecoding(tokenizer, ids, json, stdout);
        else EncodeFile(tokenizer, file!, stdout);
        return 0;
    }

    private static void WriteEncoding(ITextTokenizer tokenizer, string text, bool json, TextWriter stdout)
    {
        var ids = tokenizer.Encode(text);
        if (json)
        {
            stdout.WriteLine(Json(w =>
            {
                w.WriteStartObject();
                WriteIds(w, ids);
                w.WriteStartArray("tokens");
                foreach (int id in ids) w.WriteStringValue(tokenizer.IdToToken(id));
                w.WriteEndArray();
                w.WriteEndObject();
            }));
            return;
        }
        stdout.WriteLine($"ids     {string.Join(',', ids)}");
        // Tokens are JSON strings, so spaces, newlines and control characters stay visible.
        foreach (int id in ids) stdout.WriteLine($"{id,7} {Json(w => w.WriteStringValue(tokenizer.IdToToken(id)))}");
    }

    private static void WriteDecoding(ITextTokenizer tokenizer, int[] ids, bool json, TextWriter stdout)
    {
        string text = tokenizer.Decode(ids);
        stdout.WriteLine(json ? Json(w => { w.WriteStartObject(); w.WriteString("text", text); w.WriteEndObject(); }) : text);
    }

    /// <summary>One output line per input line, streamed; a malformed line is refused with its file and line number.</summary>
    private static void EncodeFile(ITextTokenizer tokenizer, string path, TextWriter stdout)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist", path);
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string id, text;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a line must be a JSON object");
                id = root.TryGetProperty("id", out var idValue) ? idValue.ValueKind switch
                {
                    JsonValueKind.String => idValue.GetString()!,
                    JsonValueKind.Number => idValue.GetRawText(),
                    _ => throw new FormatException("'id' must be a string or a number"),
                } : throw new FormatException("missing 'id'");
                text = root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String
                    ? t.GetString()! : throw new FormatException($"document '{id}' has no string 'text'");
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new InvalidDataException($"{path}:{number}: {e.Message}", e);
            }
            var ids = tokenizer.Encode(text);
            stdout.WriteLine(Json(w => { w.WriteStartObject(); w.WriteString("id", id); WriteIds(w, ids); w.WriteEndObject(); }));
        }
    }

    private static void WriteIds(Utf8JsonWriter w, int[] ids)
    {
        w.WriteStartArray("ids");
        foreach (int id in ids) w.WriteNumberValue(id);
        w.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Compact)) write(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
