using System.Text.Json;

namespace Clara.Engine.Pipeline;

/// <summary>clara.json of a CLaRa directory (spec §7): the special tokens and the compression geometry.</summary>
public sealed record ClaraConfig
{
    public required int DocMaxLength { get; init; }
    public required int CompressionRate { get; init; }
    public required IReadOnlyList<int> MemTokenIds { get; init; }
    public required int EncTokenId { get; init; }
    public required int SepTokenId { get; init; }
    public required int AeTokenId { get; init; }
    public required int PadTokenId { get; init; }
    public required int BosTokenId { get; init; }
    public required int EosTokenId { get; init; }
    public int TopK { get; init; } = 5;
    public float Temperature { get; init; } = 0.02f;

    /// <summary>n_mem = doc_max_length / compression_rate memory vectors per document.</summary>
    public int MemoryTokens => MemTokenIds.Count;

    /// <summary>L0: <c>&lt;ENC&gt; &lt;s&gt; document &lt;/s&gt;</c> is cut or left-padded to this many tokens.</summary>
    public int EncoderTextLength => DocMaxLength + 3;

    /// <summary>Every encoder row: L0 text positions then the memory tokens.</summary>
    public int EncoderLength => EncoderTextLength + MemoryTokens;

    public static ClaraConfig Load(string path) => IO.JsonConfigFile.Load(path, Parse, "CLaRa config (not a CLaRa directory?)");

    /// <summary>Largest doc_max_length and top_k accepted: far past the paper's settings (256 tokens, k = 5).</summary>
    public const int MaxDocLength = 1 << 16;
    public const int MaxTopK = 4096;

    /// <summary>clara.json as <see cref="Parse"/> reads it back: the one writer (the corpus tool's initial model, the bench's random directories).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("doc_max_length", DocMaxLength);
            w.WriteNumber("compression_rate", CompressionRate);
            w.WriteStartArray("mem_token_ids");
            foreach (var id in MemTokenIds) w.WriteNumberValue(id);
            w.WriteEndArray();
            w.WriteNumber("enc_token_id", EncTokenId);
            w.WriteNumber("sep_token_id", SepTokenId);
            w.WriteNumber("ae_token_id", AeTokenId);
            w.WriteNumber("pad_token_id", PadTokenId);
            w.WriteNumber("bos_token_id", BosTokenId);
            w.WriteNumber("eos_token_id", EosTokenId);
            w.WriteNumber("top_k", TopK);
            w.WriteNumber("temperature", Temperature);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static ClaraConfig Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"clara.json is not valid JSON ({e.Message})", e);
        }
        using var _ = doc;
        var r = doc.RootElement;
        if (r.ValueKind != JsonValueKind.Object) throw new FormatException("clara.json is not a JSON object");
        static int Int32(JsonElement v, string name) => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)
            ? n : throw new FormatException($"clara.json '{name}' is {v.GetRawText()}, not a 32-bit integer");
        int Int(string name) => r.TryGetProperty(name, out var v)
            ? Int32(v, name) : throw new FormatException($"clara.json lacks the integer '{name}'");
        if (!r.TryGetProperty("mem_token_ids", out var mem) || mem.ValueKind != JsonValueKind.Array)
            throw new FormatException("clara.json lacks the list 'mem_token_ids'");
        var config = new ClaraConfig
        {
            DocMaxLength = Int("doc_max_length"),
            CompressionRate = Int("compression_rate"),
            MemTokenIds = mem.EnumerateArray().Select(e => Int32(e, "mem_token_ids")).ToArray(),
            EncTokenId = Int("enc_token_id"),
            SepTokenId = Int("sep_token_id"),
            AeTokenId = Int("ae_token_id"),
            PadTokenId = Int("pad_token_id"),
            BosTokenId = Int("bos_token_id"),
            EosTokenId = Int("eos_token_id"),
            TopK = r.TryGetProperty("top_k", out var k) ? Int32(k, "top_k") : 5,
            Temperature = r.TryGetProperty("temperature", out var t) ? ParseTemperature(t) : 0.02f,
        };
        if (config.DocMaxLength <= 0 || config.CompressionRate <= 0)
            throw new FormatException("doc_max_length and compression_rate must be positive");
        if (config.DocMaxLength > MaxDocLength)
            throw new FormatException($"clara.json doc_max_length is {config.DocMaxLength}, past the limit of {MaxDocLength} (ClaraConfig.MaxDocLength)");
        if (config.TopK > MaxTopK) throw new FormatException($"clara.json top_k is {config.TopK}, past the limit of {MaxTopK} (ClaraConfig.MaxTopK)");
        if (config.MemTokenIds.Count != config.DocMaxLength / config.CompressionRate)
            throw new FormatException($"mem_token_ids holds {config.MemTokenIds.Count} ids but doc_max_length / compression_rate = {config.DocMaxLength / config.CompressionRate}");
        if (config.TopK <= 0) throw new FormatException($"top_k must be positive, got {config.TopK}");
        return config;
    }

    // An infinite temperature would make every s / τ zero, and top-k would return input order instead of the best documents.
    private static float ParseTemperature(JsonElement t)
    {
        if (t.ValueKind != JsonValueKind.Number || !t.TryGetDouble(out double value) || !float.IsFinite((float)value) || value < 0)
            throw new FormatException($"clara.json temperature is {t.GetRawText()}, not a finite float32 number ≥ 0");
        return (float)value;
    }

    /// <summary>Every special id must be a row of the (resized) embedding.</summary>
    public void ValidateAgainst(int vocabSize, string source)
    {
        var ids = MemTokenIds.Select((id, i) => ($"mem_token_ids[{i}]", id))
            .Concat([("enc_token_id", EncTokenId), ("sep_token_id", SepTokenId), ("ae_token_id", AeTokenId),
                     ("pad_token_id", PadTokenId), ("bos_token_id", BosTokenId), ("eos_token_id", EosTokenId)]);
        var bad = ids.Where(p => (uint)p.Item2 >= (uint)vocabSize).Select(p => $"{p.Item1} = {p.Item2}").ToList();
        if (bad.Count > 0)
            throw new InvalidDataException($"{source}: clara.json disagrees with the vocabulary of {vocabSize}: {string.Join(", ", bad)}");
    }
}
