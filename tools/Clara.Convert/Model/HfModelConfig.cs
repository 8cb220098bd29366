using System.Text.Json;
using System.Text.Json.Nodes;
using Clara.Engine.Models;

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

        // One parser for the whole product: the engine's decides what a usable decoder config is.
        ModelConfig c;
        try
        {
            c = ModelConfig.Parse(text);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{source}: not a usable decoder config: {e.Message}", e);
        }
        return new HfModelConfig(text, source, c.HiddenSize, c.Layers, c.Heads, c.KvHeads, c.HeadDim, c.IntermediateSize, c.VocabSize,
            c.TieWordEmbeddings, c.BosTokenId, c.EosTokenIds.Count > 0 ? c.EosTokenIds[0] : null, c.PadTokenId);
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
