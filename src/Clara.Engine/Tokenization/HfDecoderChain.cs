using System.Globalization;
using System.Text;
using System.Text.Json;
using Clara.Engine.Tokenization.Streaming;

namespace Clara.Engine.Tokenization;

/// <summary>
/// The <c>decoder</c> of a SentencePiece-style <c>tokenizer.json</c>, as Hugging Face runs it: a chain of steps,
/// each turning the list of token strings into another (Replace, ByteFallback, Fuse, Strip, Metaspace), then
/// the strings are concatenated. Byte-level decoders are not here: byte-level tokenizers decode through
/// Microsoft.ML.Tokenizers.
/// </summary>
internal sealed class HfDecoderChain
{
    /// <summary>One step: the list form (the reference) and its streaming stage, built with whether a Fuse came before.</summary>
    private sealed record Step(Func<List<string>, List<string>> Apply, Func<bool, DecoderChainStage, DecoderChainStage> Stage, bool Fuses = false);

    private readonly IReadOnlyList<Step> _steps;

    private HfDecoderChain(IReadOnlyList<Step> steps) => _steps = steps;

    public string Decode(IEnumerable<string> tokens)
    {
        var current = tokens.ToList();
        foreach (var step in _steps) current = step.Apply(current);
        return string.Concat(current);
    }

    /// <summary>The same steps fed one token at a time; what reaches the output over the stream is <see cref="Decode"/>'s text.</summary>
    public DecoderChainStage Stream()
    {
        var fusedAt = new bool[_steps.Count];
        for (int i = 1; i < _steps.Count; i++) fusedAt[i] = fusedAt[i - 1] || _steps[i - 1].Fuses;
        DecoderChainStage stage = new ConcatenateStage();
        for (int i = _steps.Count - 1; i >= 0; i--) stage = _steps[i].Stage(fusedAt[i], stage);
        return stage;
    }

    /// <summary>No decoder in the file: the tokens are concatenated as they are.</summary>
    public static HfDecoderChain Concatenate { get; } = new([]);

    /// <param name="root">The whole tokenizer.json.</param>
    public static HfDecoderChain Read(JsonElement root, string path)
    {
        if (!root.TryGetProperty("decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object)
            return Concatenate;
        var steps = new List<Step>();
        AddSteps(decoder, steps, path);
        return new HfDecoderChain(steps);
    }

    private static void AddSteps(JsonElement decoder, List<Step> steps, string path)
    {
        string type = decoder.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        switch (type)
        {
            case "Sequence":
                foreach (var inner in decoder.GetProperty("decoders").EnumerateArray()) AddSteps(inner, steps, path);
                break;
            case "Replace":
                if (!decoder.GetProperty("pattern").TryGetProperty("String", out var from))
                    throw new NotSupportedException($"{path}: decoder Replace with a regex pattern is not supported");
                string pattern = from.GetString()!, content = decoder.GetProperty("content").GetString()!;
                if (pattern.Length == 0) throw new NotSupportedException($"{path}: decoder Replace with an empty pattern is not supported");
                steps.Add(new(tokens => tokens.ConvertAll(token => token.Replace(pattern, content, StringComparison.Ordinal)),
                    (fused, next) => new ReplaceStage(pattern, content, fused, next)));
                break;
            case "ByteFallback":
                steps.Add(new(FuseBytePieces, (fused, next) => new ByteFallbackStage(fused, next)));
                break;
            case "Fuse":
                steps.Add(new(tokens => [string.Concat(tokens)], (_, next) => new FuseStage(next), Fuses: true));
                break;
            case "Strip":
                string strip = decoder.GetProperty("content").GetString()!;
                if (strip.Length != 1) throw new NotSupportedException($"{path}: decoder Strip content '{strip}' is not one character");
                int start = decoder.GetProperty("start").GetInt32(), stop = decoder.GetProperty("stop").GetInt32();
                steps.Add(new(tokens => tokens.ConvertAll(token => Strip(token, strip[0], start, stop)),
                    (fused, next) => new StripStage(strip[0], start, stop, fused, next)));
                break;
            case "Metaspace":
                steps.Add(MetaspaceStep(decoder));
                break;
            default:
                throw new NotSupportedException($"{path}: decoder '{type}' is not supported for a SentencePiece-style tokenizer");
        }
    }

    /// <summary>Runs of "&lt;0xHH&gt;" pieces become their UTF-8 text; a run that is not valid UTF-8 becomes one U+FFFD per byte.</summary>
    private static List<string> FuseBytePieces(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            if (BytePiece.TryParse(token, out byte b)) { bytes.Add(b); continue; }
            Flush();
            result.Add(token);
        }
        Flush();
        return result;

        void Flush()
        {
            if (bytes.Count == 0) return;
            result.Add(DecodeByteRun(bytes));
            bytes.Clear();
        }
    }

    /// <summary>A run of byte pieces' text: its UTF-8 when the whole run is valid, else one U+FFFD per byte.</summary>
    public static string DecodeByteRun(List<byte> bytes)
    {
        try { return StrictUtf8.GetString(bytes.ToArray()); }
        catch (DecoderFallbackException) { return new string('\uFFFD', bytes.Count); }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Strip(string token, char content, int start, int stop)
    {
        int from = 0, to = token.Length;
        while (from < start && from < to && token[from] == content) from++;
        while (token.Length - to < stop && to > from && token[to - 1] == content) to--;
        return token[from..to];
    }

    /// <summary>Markers become spaces, except in the first token, where they are dropped unless nothing was prepended.</summary>
    private static Step MetaspaceStep(JsonElement decoder)
    {
        char marker = decoder.TryGetProperty("replacement", out var r) ? r.GetString()![0] : '\u2581';
        bool prepended = decoder.TryGetProperty("prepend_scheme", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString() != "never"
            : !(decoder.TryGetProperty("add_prefix_space", out var a) && a.ValueKind == JsonValueKind.False);
        return new(tokens => tokens.Select((token, i) => i == 0 && prepended
            ? token.Replace(marker.ToString(), "", StringComparison.Ordinal)
            : token.Replace(marker, ' ')).ToList(), (fused, next) => new MetaspaceStage(marker, prepended, fused, next));
    }
}

/// <summary>SentencePiece's byte pieces "&lt;0x00&gt;" … "&lt;0xFF&gt;".</summary>
internal static class BytePiece
{
    public static string Of(byte value) => $"<0x{value:X2}>";

    public static bool TryParse(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
