using System.Text.Json;
using System.Text.Json.Nodes;

namespace Clara.Convert.Model;

/// <summary>
/// The dimensions of a Mistral/Llama-family model, from its Hugging Face config.json. The original text is
/// kept, because the converted file carries it verbatim (with vocab_size updated when the vocabulary grew).
/// </summary>
public sealed record HfModelConfig(
    string Text,
    string Source,
    int HiddenSize,
    int Layers,
    int Heads,
    int KvHeads,
    int HeadDim,
    int IntermediateSize,
    int VocabSize,
    bool TieWordEmbeddings,
    int? BosTokenId,
    int? EosTokenId,
    int? PadTokenId)
{
    public int QueryWidth => Heads * HeadDim;
    public int KvWidth => KvHeads * HeadDim;

    public static HfModelConfig Load(string path) => Parse(File.ReadAllText(path), path);

    public static HfModelConfig Parse(string text, string source)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{source}: config.json is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: config.json is not valid JSON ({e.Message})", e);
        }
        if (json["model_type"]?.GetValue<string>() is { } type && type.Equals("CLaRa", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{source}: this is a CLaRa training config, not the base model's config.json; pass the base model's directory too");

        var problems = new List<string>();
        int Required(string key)
        {
            if (json[key] is JsonValue v && v.TryGetValue<int>(out int value) && value > 0) return value;
            problems.Add(json[key] is null ? $"'{key}' is missing" : $"'{key}' is {json[key]!.ToJsonString()}, not a positive integer");
            return 1;
        }
        int? Optional(string key) => json[key] is JsonValue v && v.TryGetValue<int>(out int value) ? value : null;

        int hidden = Required("hidden_size");
        int layers = Required("num_hidden_layers");
        int heads = Required("num_attention_heads");
        int kvHeads = Optional("num_key_value_heads") ?? heads;
        int headDim = Optional("head_dim") ?? hidden / heads;
        int intermediate = Required("intermediate_size");
        int vocab = Required("vocab_size");
        if (heads % kvHeads != 0) problems.Add($"{heads} attention heads are not a multiple of {kvHeads} key/value heads");
        if (problems.Count > 0)
            throw new InvalidDataException($"{source}: not a usable decoder config: {string.Join("; ", problems)}");

        bool tied = json["tie_word_embeddings"] is JsonValue t && t.TryGetValue<bool>(out bool tie) && tie;
        return new HfModelConfig(text, source, hidden, layers, heads, kvHeads, headDim, intermediate, vocab, tied,
            Optional("bos_token_id"), Optional("eos_token_id"), Optional("pad_token_id"));
    }

    /// <summary>config.json text with vocab_size replaced (the embedding grew by the added special tokens).</summary>
    public string TextWithVocabSize(int vocabSize)
    {
        if (vocabSize == VocabSize) return Text;
        var json = JsonNode.Parse(Text)!.AsObject();
        json["vocab_size"] = vocabSize;
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
