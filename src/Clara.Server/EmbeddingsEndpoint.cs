using System.Text.Json;
using Clara.Engine.Pipeline;
using Microsoft.AspNetCore.Http;

namespace Clara.Server;

/// <summary>
/// POST /v1/embeddings: each input's query-reasoner vector (spec §3, n_mem·hidden floats, the space documents are
/// ranked in), as <see cref="Engine.AI.ClaraQueryEmbeddingGenerator"/> makes it. The input is a string, an array of
/// strings, an array of token ids or an array of such arrays; <c>encoding_format</c> "float" (default) or "base64"
/// (little-endian float32, which the official OpenAI clients ask for).
/// </summary>
internal sealed class EmbeddingsEndpoint(ClaraModel model, ClaraServerOptions options, RequestRunner runner)
{
    public Task HandleAsync(HttpContext context) => runner.RunAsync(context, async (body, cancellation) =>
    {
        JsonFields.RequireObject(body);
        var inputs = Inputs(JsonFields.Get(body, "input") ?? throw ApiError.BadRequest("'input' is required", "input"));
        var format = JsonFields.String(body, "encoding_format") ?? "float";
        if (format is not ("float" or "base64")) throw ApiError.BadRequest($"encoding_format must be 'float' or 'base64', got '{format}'", "encoding_format");
        int width = model.Config.MemoryTokens * model.Decoder.Config.HiddenSize;
        if (JsonFields.Int(body, "dimensions") is { } dimensions && dimensions != width)
            throw ApiError.BadRequest($"this model's query vectors have {width} dimensions, not {dimensions}", "dimensions");

        var vectors = await Task.WhenAll(inputs.Select(ids => model.EncodeQueryAsync(ids, cancellation))).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (int i = 0; i < vectors.Length; i++)
        {
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            if (format == "base64")
            {
                json.WriteBase64String("embedding", Engine.Documents.LittleEndianFloats.ToBytes(vectors[i]));
            }
            else
            {
                json.WriteStartArray("embedding");
                foreach (float v in vectors[i]) json.WriteNumberValue(v);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteString("model", options.ModelName);
        int tokens = inputs.Sum(i => i.Length);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", tokens);
        json.WriteNumber("total_tokens", tokens);
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(cancellation).ConfigureAwait(false);
    });

    /// <summary>The inputs as token ids, each checked; text needs the model's tokenizer.</summary>
    private List<int[]> Inputs(JsonElement input)
    {
        var inputs = input.ValueKind switch
        {
            JsonValueKind.String => [Text(input)],
            JsonValueKind.Array when input.GetArrayLength() > 0 && input[0].ValueKind == JsonValueKind.Number => [Ids(input)],
            JsonValueKind.Array => input.EnumerateArray().Select(e => e.ValueKind switch
            {
                JsonValueKind.String => Text(e),
                JsonValueKind.Array => Ids(e),
                _ => throw ApiError.BadRequest("'input' must be a string, an array of strings or token-id arrays", "input"),
            }).ToList(),
            _ => throw ApiError.BadRequest("'input' must be a string, an array of strings or token-id arrays", "input"),
        };
        if (inputs.Count == 0) throw ApiError.BadRequest("'input' is empty", "input");
        if (inputs.Count > options.MaxEmbeddingInputs)
            throw ApiError.BadRequest($"'input' holds {inputs.Count} items, above this server's limit of {options.MaxEmbeddingInputs}", "input");
        return inputs;
    }

    private int[] Text(JsonElement text)
    {
        if (model.Tokenizer is null) throw ApiError.BadRequest("this model has no tokenizer: give the input as token ids", "input");
        var ids = model.Encode(text.GetString()!);
        return ids.Length > 0 ? ids : throw ApiError.BadRequest("an input text is empty", "input");
    }

    private int[] Ids(JsonElement array)
    {
        int vocab = model.Decoder.Config.VocabSize;
        var ids = array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int id) && (uint)id < (uint)vocab
            ? id : throw ApiError.BadRequest($"'input' holds {e.GetRawText()}, not a token id of this model's vocabulary of {vocab}", "input")).ToArray();
        return ids.Length > 0 ? ids : throw ApiError.BadRequest("an input holds no token ids", "input");
    }
}
