using System.Text.Json;

namespace Clara.Engine.Models;

/// <summary>The decoder hyper-parameters of an HF Mistral/Llama config.json.</summary>
public sealed record ModelConfig
{
    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required float RmsNormEps { get; init; }
    public required float RopeTheta { get; init; }
    public required int VocabSize { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 32768;
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? PadTokenId { get; init; }
    public string? TorchDtype { get; init; }

    public int QueryWidth => Heads * HeadDim;
    public int KvWidth => KvHeads * HeadDim;

    public long ParameterCount =>
        (long)VocabSize * HiddenSize * (TieWordEmbeddings ? 1 : 2) + HiddenSize
        + Layers * (2L * HiddenSize
                    + (long)HiddenSize * QueryWidth * 2 + (long)HiddenSize * KvWidth * 2
                    + 3L * HiddenSize * IntermediateSize);

    public static ModelConfig Load(string path) => IO.JsonConfigFile.Load(path, Parse, "model config");

    public static ModelConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("config is not a JSON object");
        string type = root.TryGetProperty("model_type", out var t) ? t.GetString() ?? "" : "";
        if (type is not ("mistral" or "llama"))
            throw new FormatException($"model_type '{type}' is not supported (mistral and llama are)");
        if (root.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind != JsonValueKind.Null)
            throw new FormatException("rope_scaling is not supported yet; the config asks for " + rs.GetRawText());

        int hidden = Int(root, "hidden_size");
        int heads = Int(root, "num_attention_heads");
        var config = new ModelConfig
        {
            ModelType = type,
            HiddenSize = hidden,
            IntermediateSize = Int(root, "intermediate_size"),
            Layers = Int(root, "num_hidden_layers"),
            Heads = heads,
            KvHeads = OptionalInt(root, "num_key_value_heads") ?? heads,
            HeadDim = OptionalInt(root, "head_dim") ?? (heads > 0 ? hidden / heads : 0),
            RmsNormEps = FiniteFloat(OptionalDouble(root, "rms_norm_eps") ?? 1e-6, "rms_norm_eps"),
            RopeTheta = FiniteFloat(OptionalDouble(root, "rope_theta") ?? 10000.0, "rope_theta"),
            VocabSize = Int(root, "vocab_size"),
            MaxPositionEmbeddings = OptionalInt(root, "max_position_embeddings") ?? 32768,
            TieWordEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind == JsonValueKind.True,
            BosTokenId = OptionalInt(root, "bos_token_id"),
            EosTokenIds = IntList(root, "eos_token_id"),
            PadTokenId = OptionalInt(root, "pad_token_id"),
            TorchDtype = root.TryGetProperty("torch_dtype", out var dt) && dt.ValueKind == JsonValueKind.String ? dt.GetString() : null,
        };
        config.Validate();
        return config;
    }

    public void Validate()
    {
        void Positive(int value, string name, int limit)
        {
            if (value <= 0) throw new FormatException($"{name} must be positive, got {value}");
            if (value > limit) throw new FormatException($"{name} is {value}, past the limit of {limit} (ConfigLimits); no real model is that large");
        }
        Positive(HiddenSize, "hidden_size", ConfigLimits.MaxHiddenSize);
        Positive(IntermediateSize, "intermediate_size", ConfigLimits.MaxIntermediateSize);
        Positive(Layers, "num_hidden_layers", ConfigLimits.MaxLayers);
        Positive(Heads, "num_attention_heads", ConfigLimits.MaxHeads);
        Positive(KvHeads, "num_key_value_heads", ConfigLimits.MaxHeads);
        Positive(HeadDim, "head_dim", ConfigLimits.MaxHeadDim);
        Positive(VocabSize, "vocab_size", ConfigLimits.MaxVocabSize);
        Positive(MaxPositionEmbeddings, "max_position_embeddings", ConfigLimits.MaxPositionEmbeddings);
        if (Heads % KvHeads != 0) throw new FormatException($"num_attention_heads {Heads} is not a multiple of num_key_value_heads {KvHeads}");
        if (HeadDim % 2 != 0) throw new FormatException($"head_dim {HeadDim} must be even for rotary embeddings");
        if (!(RmsNormEps > 0)) throw new FormatException($"rms_norm_eps must be positive, got {RmsNormEps}");
        if (!(RopeTheta > 0) || RopeTheta > ConfigLimits.MaxRopeTheta)
            throw new FormatException($"rope_theta must be positive and at most {ConfigLimits.MaxRopeTheta:G} (ConfigLimits.MaxRopeTheta), got {RopeTheta}");
        if (!(RmsNormEps < 1)) throw new FormatException($"rms_norm_eps must be below 1, got {RmsNormEps}");
    }

    private static int Int(JsonElement root, string name) =>
        OptionalInt(root, name) ?? throw new FormatException($"config lacks '{name}'");

    private static int? OptionalInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? Int32(v, name) : null;

    private static int Int32(JsonElement value, string name) =>
        value.TryGetInt32(out int n) ? n : throw new FormatException($"'{name}' is {value.GetRawText()}, not a 32-bit integer");

    // 1e300 parses as a double but becomes infinity as a float; a config value is either exact enough or refused.
    private static float FiniteFloat(double value, string name) =>
        double.IsFinite(value) && float.IsFinite((float)value) ? (float)value : throw new FormatException($"'{name}' is {value}, not a finite float32 number");

    private static double? OptionalDouble(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static IReadOnlyList<int> IntList(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v)) return [];
        return v.ValueKind switch
        {
            JsonValueKind.Number => [Int32(v, name)],
            JsonValueKind.Array => v.EnumerateArray().Select(e => Int32(e, name)).ToArray(),
            _ => [],
        };
    }
}
