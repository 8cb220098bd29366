using System.Text.Json;

namespace Clara.Engine.Tokenization;

/// <summary>Where a SentencePiece-style tokenizer puts the "▁" word-start marker (Hugging Face prepend_scheme).</summary>
internal enum PrependScheme { Always, First, Never }

/// <summary>How text becomes BPE words before merging.</summary>
internal abstract record BpeTextLayout;

/// <summary>
/// SentencePiece-style (Llama/Mistral <c>tokenizer.json</c>): spaces become "▁", a "▁" is prepended, the BPE
/// runs over the whole segment (or over "▁"-started words when <paramref name="Split"/>), unknown characters
/// fall back to byte pieces.
/// </summary>
/// <param name="IsNormalizer">The layout is the file's normalizer (legacy Prepend + Replace): it runs once per stretch
/// between raw-matched added tokens, before the "normalized" added tokens are matched; otherwise it is the
/// Metaspace pre-tokenizer, which runs on each stretch the model receives.</param>
internal sealed record MetaspaceLayout(char Replacement, PrependScheme Prepend, bool Split, bool PrependEvenAfterReplacement, bool IsNormalizer = false) : BpeTextLayout;

/// <summary>GPT-2-style byte-level BPE: a regex splits the text into words, each mapped byte-to-unicode.</summary>
internal sealed record ByteLevelLayout(string SplitPattern, bool AddPrefixSpace) : BpeTextLayout;

/// <summary>What a <c>tokenizer.json</c> says about encoding and decoding.</summary>
internal sealed record HfTokenizerDefinition(HfBpeModel Model, BpeTextLayout Layout, HfDecoderChain Decoder);

/// <summary>The BPE model of a <c>tokenizer.json</c>.</summary>
internal sealed record HfBpeModel(
    Dictionary<string, int> Vocabulary, List<string> Merges, string? UnknownToken, bool FuseUnknown, bool ByteFallback);

/// <summary>
/// Reads the parts of a Hugging Face <c>tokenizer.json</c> that decide encoding: the model (BPE only) and the
/// normalizer/pre-tokenizer pair, which must be one of the two layouts LLM tokenizers use. Anything else is
/// refused with a <see cref="NotSupportedException"/> naming the component, rather than tokenized differently.
/// </summary>
internal static class HfTokenizerJson
{
    /// <summary>GPT-2's word split, which ByteLevel uses when use_regex is true.</summary>
    public const string Gpt2SplitPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static HfTokenizerDefinition Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: not a JSON object");
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: no \"model\" object");
            var layout = ReadLayout(Component(root, "normalizer"), Component(root, "pre_tokenizer"), path);
            // Byte-level tokenizers decode through Microsoft.ML.Tokenizers, which knows the byte-to-unicode map.
            var decoder = layout is MetaspaceLayout ? HfDecoderChain.Read(root, path) : HfDecoderChain.Concatenate;
            return new HfTokenizerDefinition(ReadModel(model, path), layout, decoder);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static HfBpeModel ReadModel(JsonElement model, string path)
    {
        string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "BPE";
        if (type != "BPE")
            throw new NotSupportedException($"{path}: tokenizer model type '{type}' is not supported (only BPE)");
        if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
            throw new NotSupportedException($"{path}: BPE dropout {dropout.GetDouble()} is not supported (it makes encoding random)");
        foreach (var name in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                throw new NotSupportedException($"{path}: BPE {name} '{v.GetString()}' is not supported");
        if (Flag(model, "ignore_merges"))
            throw new NotSupportedException($"{path}: BPE ignore_merges is not supported");

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in model.GetProperty("vocab").EnumerateObject())
        {
            int id = entry.Value.GetInt32();
            if (id < 0) throw new InvalidDataException($"{path}: vocabulary entry '{entry.Name}' has the negative id {id}");
            vocabulary[entry.Name] = id;
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var list))
        {
            foreach (var merge in list.EnumerateArray())
            {
                // Two formats: "left right" (older) or ["left", "right"] (newer, allows spaces inside tokens).
                var (left, right) = merge.ValueKind == JsonValueKind.String
                    ? SplitMerge(merge.GetString()!, path)
                    : (merge[0].GetString()!, merge[1].GetString()!);
                if (left.Contains(' ') || right.Contains(' '))
                    throw new NotSupportedException($"{path}: merge ('{left}', '{right}') holds a space, which this BPE cannot represent");
                merges.Add($"{left} {right}");
            }
        }
        string? unknown = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String ? unk.GetString() : null;
        if (unknown is not null && !vocabulary.ContainsKey(unknown))
            throw new InvalidDataException($"{path}: unk_token '{unknown}' is not in the vocabulary");
        return new HfBpeModel(vocabulary, merges, unknown, Flag(model, "fuse_unk"), Flag(model, "byte_fallback"));
    }

    private static (string, string) SplitMerge(string merge, string path)
    {
        int space = merge.IndexOf(' ');
        if (space <= 0 || space != merge.LastIndexOf(' ') || space == merge.Length - 1)
            throw new InvalidDataException($"{path}: merge \"{merge}\" is not two tokens separated by one space");
        return (merge[..space], merge[(space + 1)..]);
    }

    private static BpeTextLayout ReadLayout(JsonElement? normalizer, JsonElement? preTokenizer, string path)
    {
        if (normalizer is { } n)
        {
            if (preTokenizer is not null)
                throw new NotSupportedException($"{path}: normalizer '{TypeOf(n)}' together with pre_tokenizer '{TypeOf(preTokenizer.Value)}' is not supported");
            if (IsLegacySentencePieceNormalizer(n, out char replacement))
                return new MetaspaceLayout(replacement, PrependScheme.Always, Split: false, PrependEvenAfterReplacement: true, IsNormalizer: true);
            throw new NotSupportedException($"{path}: normalizer '{Describe(n)}' is not supported (only Prepend(\"▁\") + Replace(\" \", \"▁\"))");
        }
        if (preTokenizer is not { } p)
            throw new NotSupportedException($"{path}: neither a normalizer nor a pre_tokenizer: no supported word layout");
        switch (TypeOf(p))
        {
            case "Metaspace":
                return ReadMetaspace(p, path);
            case "ByteLevel":
                return new ByteLevelLayout(UsesRegex(p) ? Gpt2SplitPattern : throw new NotSupportedException($"{path}: ByteLevel without use_regex and without a Split is not supported"),
                    Flag(p, "add_prefix_space"));
            case "Sequence":
                var parts = p.GetProperty("pretokenizers").EnumerateArray().ToArray();
                if (parts.Length == 2 && TypeOf(parts[0]) == "Split" && TypeOf(parts[1]) == "ByteLevel" && !UsesRegex(parts[1]))
                    return new ByteLevelLayout(ReadIsolatingSplit(parts[0], path), Flag(parts[1], "add_prefix_space"));
                break;
        }
        throw new NotSupportedException($"{path}: pre_tokenizer '{Describe(p)}' is not supported (only Metaspace, ByteLevel, or Split + ByteLevel)");
    }

    private static MetaspaceLayout ReadMetaspace(JsonElement p, string path)
    {
        string replacement = p.TryGetProperty("replacement", out var r) ? r.GetString()! : "\u2581";
        if (replacement.Length != 1) throw new NotSupportedException($"{path}: Metaspace replacement '{replacement}' is not one character");
        var scheme = p.TryGetProperty("prepend_scheme", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                var other => throw new NotSupportedException($"{path}: Metaspace prepend_scheme '{other}' is not supported"),
            }
            // Files older than prepend_scheme say add_prefix_space (default true).
            : p.TryGetProperty("add_prefix_space", out var a) && a.ValueKind == JsonValueKind.False ? PrependScheme.Never : PrependScheme.Always;
        bool split = !p.TryGetProperty("split", out var sp) || sp.ValueKind != JsonValueKind.False;
        return new MetaspaceLayout(replacement[0], scheme, split, PrependEvenAfterReplacement: false);
    }

    private static string ReadIsolatingSplit(JsonElement split, string path)
    {
        if (!split.TryGetProperty("behavior", out var b) || b.GetString() != "Isolated" || Flag(split, "invert"))
            throw new NotSupportedException($"{path}: only a Split with behavior Isolated and invert false is supported");
        var pattern = split.GetProperty("pattern");
        if (pattern.TryGetProperty("Regex", out var regex)) return regex.GetString()!;
        if (pattern.TryGetProperty("String", out var literal)) return System.Text.RegularExpressions.Regex.Escape(literal.GetString()!);
        throw new InvalidDataException($"{path}: Split pattern is neither a Regex nor a String");
    }

    /// <summary>Llama/Mistral's Prepend("▁") and Replace(" ", "▁"), in either order.</summary>
    private static bool IsLegacySentencePieceNormalizer(JsonElement n, out char replacement)
    {
        replacement = '\0';
        if (TypeOf(n) != "Sequence") return false;
        var parts = n.GetProperty("normalizers").EnumerateArray().ToArray();
        if (parts.Length != 2) return false;
        var prepend = parts.FirstOrDefault(x => TypeOf(x) == "Prepend");
        var replace = parts.FirstOrDefault(x => TypeOf(x) == "Replace");
        if (prepend.ValueKind != JsonValueKind.Object || replace.ValueKind != JsonValueKind.Object) return false;
        string? marker = prepend.GetProperty("prepend").GetString();
        bool replacesSpace = replace.GetProperty("pattern").TryGetProperty("String", out var from) && from.GetString() == " "
            && replace.GetProperty("content").GetString() == marker;
        if (marker is not { Length: 1 } || !replacesSpace) return false;
        replacement = marker[0];
        return true;
    }

    private static JsonElement? Component(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static string TypeOf(JsonElement component) =>
        component.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "(untyped)";

    private static string Describe(JsonElement component) => TypeOf(component) switch
    {
        "Sequence" => "Sequence[" + string.Join(", ", component.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Array).SelectMany(p => p.Value.EnumerateArray()).Select(Describe)) + "]",
        var type => type,
    };

    private static bool UsesRegex(JsonElement byteLevel) =>
        !byteLevel.TryGetProperty("use_regex", out var v) || v.ValueKind != JsonValueKind.False;

    private static bool Flag(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
