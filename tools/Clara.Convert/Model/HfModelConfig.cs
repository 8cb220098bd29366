using System.Text.Json;
using System.Text.Json.Nodes;
using Clara.Engine.Models;

namespace Clara.Convert.Model;

/// <summary>
/// A Mistral/Llama-family config.json as the engine parses it (<see cref="ModelConfig"/>: one parser decides what a
/// usable decoder config is), with its original text, which the converted file carries verbatim (vocab_size updated
/// when the vocabulary grew).
/// </summary>
public sealed record HfModelConfig(string Text, string Source, ModelConfig Model)
{
    public int Layers => Model.Layers;
    public int VocabSize => Model.VocabSize;
    public bool TieWordEmbeddings => Model.TieWordEmbeddings;
    public int? BosTokenId => Model.BosTokenId;
    public int? EosTokenId => Model.EosTokenIds.Count > 0 ? Model.EosTokenIds[0] : null;
    public int? PadTokenId => Model.PadTokenId;

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

        ModelConfig c;
        try
        {
            c = ModelConfig.Parse(text);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{source}: not a usable decoder config: {e.Message}", e);
        }
        return new HfModelConfig(text, source, c);
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
