using System.Text.Json;
using System.Text.Json.Nodes;
using Clara.Convert.Inputs;
using Clara.Convert.Model;

namespace Clara.Convert.Planning;

/// <summary>
/// Writes clara.json for a CLaRa release that ships none. The reference tokenizer appends its added tokens after
/// the base vocabulary in a fixed order: &lt;MEM&gt; (or &lt;MEM0&gt;…&lt;MEM{n-1}&gt; with different_mem_tokens),
/// then &lt;AE&gt;, &lt;ENC&gt;, &lt;SEP&gt;. The ids follow when the resized vocabulary is exactly that much larger;
/// otherwise nothing is guessed.
/// </summary>
internal static class ClaraJsonDerivation
{
    /// <summary>The reference's top-k temperature at inference.</summary>
    private const double ReferenceTemperature = 0.02;

    public static string? Derive(ClaraReleaseConfig release, HfModelConfig config, int resizedVocab, List<string> notes)
    {
        int memTokens = release.MemoryTokenCount;
        int added = (release.DifferentMemTokens ? memTokens : 1) + 3;
        if (resizedVocab != config.VocabSize + added)
        {
            notes.Add($"clara.json not derived: the vocabulary grew from {config.VocabSize} to {resizedVocab}, not by the {added} tokens " +
                      $"the reference adds; pass --clara FILE with the token ids");
            return null;
        }
        int first = config.VocabSize;
        var memIds = release.DifferentMemTokens ? Enumerable.Range(first, memTokens).ToList() : Enumerable.Repeat(first, memTokens).ToList();
        int next = first + (release.DifferentMemTokens ? memTokens : 1);
        int bos = config.BosTokenId ?? 1;
        var json = new JsonObject
        {
            ["doc_max_length"] = release.DocMaxLength,
            ["compression_rate"] = release.CompressionRate,
            ["mem_token_ids"] = new JsonArray(memIds.Select(id => (JsonNode)id).ToArray()),
            ["ae_token_id"] = next,
            ["enc_token_id"] = next + 1,
            ["sep_token_id"] = next + 2,
            // The reference sets pad = bos when the tokenizer has no pad token (Mistral's has none).
            ["pad_token_id"] = config.PadTokenId ?? bos,
            ["bos_token_id"] = bos,
            ["eos_token_id"] = config.EosTokenId ?? 2,
            ["top_k"] = release.GenerationTopK,
            ["temperature"] = ReferenceTemperature,
        };
        notes.Add($"clara.json derived from {release.Source}: token ids assume the reference tokenizer appended " +
                  $"{(release.DifferentMemTokens ? $"<MEM0>..<MEM{memTokens - 1}>" : "<MEM>")}, <AE>, <ENC>, <SEP> after id {first - 1}");
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
