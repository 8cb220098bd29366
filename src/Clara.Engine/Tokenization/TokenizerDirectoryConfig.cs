using System.Text.Json;

namespace Clara.Engine.Tokenization;

/// <summary>
/// What a Hugging Face model directory says about added and special tokens, from every file that may say it:
/// <c>tokenizer.json</c> (<c>added_tokens</c>), <c>tokenizer_config.json</c> (<c>added_tokens_decoder</c> and the
/// named special tokens), <c>special_tokens_map.json</c> and the older <c>added_tokens.json</c>. Files disagree
/// on coverage, not on ids: an id given two contents (or a content given two ids) is refused.
/// </summary>
internal sealed class TokenizerDirectoryConfig
{
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfigJson = "tokenizer_config.json";
    public const string SpecialTokensMapJson = "special_tokens_map.json";
    public const string AddedTokensJson = "added_tokens.json";

    private readonly Dictionary<int, AddedToken> _byId = new();
    private readonly Dictionary<string, (int Id, string File)> _byContent = new(StringComparer.Ordinal);
    private readonly HashSet<string> _namedSpecial = new(StringComparer.Ordinal);

    private TokenizerDirectoryConfig() { }

    /// <summary>Added tokens with ids, in id order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _byId.Values.OrderBy(t => t.Id).ToArray();

    /// <summary>Contents named as special tokens (bos/eos/unk/pad/…, additional_special_tokens); ids may be unknown here.</summary>
    public IReadOnlySet<string> NamedSpecialTokens => _namedSpecial;

    public string? BosToken { get; private set; }
    public string? EosToken { get; private set; }

    public static TokenizerDirectoryConfig Read(string directory)
    {
        var config = new TokenizerDirectoryConfig();
        config.ReadFile(directory, TokenizerJson, config.ReadTokenizerJsonAddedTokens);
        config.ReadFile(directory, TokenizerConfigJson, config.ReadTokenizerConfig);
        config.ReadFile(directory, SpecialTokensMapJson, config.ReadSpecialTokenNames);
        config.ReadFile(directory, AddedTokensJson, config.ReadAddedTokensJson);
        return config;
    }

    private void ReadFile(string directory, string name, Action<JsonElement, string> read)
    {
        string path = Path.Combine(directory, name);
        if (!File.Exists(path)) return;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: not a JSON object");
            read(doc.RootElement, path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private void ReadTokenizerJsonAddedTokens(JsonElement root, string path)
    {
        if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind == JsonValueKind.Null) return;
        foreach (var entry in list.EnumerateArray())
            Add(ReadToken(entry, entry.GetProperty("id").GetInt32(), path), path);
    }

    private void ReadTokenizerConfig(JsonElement root, string path)
    {
        if (root.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in decoder.EnumerateObject())
            {
                if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                    throw new InvalidDataException($"{path}: added_tokens_decoder key '{entry.Name}' is not a token id");
                Add(ReadToken(entry.Value, id, path), path);
            }
        }
        ReadSpecialTokenNames(root, path);
    }

    /// <summary>bos_token, eos_token, … and additional_special_tokens: a string or an object with "content".</summary>
    private void ReadSpecialTokenNames(JsonElement root, string path)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == "additional_special_tokens" && property.Value.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in property.Value.EnumerateArray())
                    if (TokenContent(item) is { } content) _namedSpecial.Add(content);
            }
            else if (property.Name.EndsWith("_token", StringComparison.Ordinal) && TokenContent(property.Value) is { } content)
            {
                _namedSpecial.Add(content);
                if (property.Name == "bos_token") BosToken = content;
                if (property.Name == "eos_token") EosToken = content;
            }
        }
    }

    /// <summary>An added token with its matching flags; "normalized" defaults to !special, as in Hugging Face.</summary>
    private static AddedToken ReadToken(JsonElement entry, int id, string path)
    {
        bool special = OptionalBool(entry, "special");
        bool normalized = entry.TryGetProperty("normalized", out var n) && n.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? n.GetBoolean() : !special;
        return new AddedToken(RequiredString(entry, "content", path), id, special,
            LStrip: OptionalBool(entry, "lstrip"), RStrip: OptionalBool(entry, "rstrip"), SingleWord: OptionalBool(entry, "single_word"), Normalized: normalized);
    }

    private void ReadAddedTokensJson(JsonElement root, string path)
    {
        foreach (var entry in root.EnumerateObject())
            Add(new AddedToken(entry.Name, entry.Value.GetInt32(), Special: false), path);
    }

    private void Add(AddedToken token, string file)
    {
        if (token.Id < 0) throw new InvalidDataException($"{file}: added token '{token.Content}' has the negative id {token.Id}");
        if (token.Content.Length == 0) throw new InvalidDataException($"{file}: added token {token.Id} has empty content");
        if (_byContent.TryGetValue(token.Content, out var known) && known.Id != token.Id)
            throw new InvalidDataException($"{file}: added token '{token.Content}' has id {token.Id}, but {known.File} gives it id {known.Id}");
        if (_byId.TryGetValue(token.Id, out var same))
        {
            if (same.Content != token.Content)
                throw new InvalidDataException($"{file}: id {token.Id} is '{token.Content}', but {_byContent[same.Content].File} says '{same.Content}'");
            _byId[token.Id] = same with { Special = same.Special || token.Special };
            return;
        }
        _byId[token.Id] = token;
        _byContent[token.Content] = (token.Id, file);
    }

    private static string? TokenContent(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    private static string RequiredString(JsonElement entry, string name, string path) =>
        entry.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InvalidDataException($"{path}: an added token lacks the string '{name}'");

    private static bool OptionalBool(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
