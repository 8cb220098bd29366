using System.Text.Json;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;
using Clara.Engine.Tokenization;

namespace Clara.Corpus.Model;

/// <summary>
/// Writes the untrained default CLaRa directory (spec §7) for a tokenizer: HF config and F32 base weights (every one
/// is trained by base pretraining, so F32 keeps AdamW's small updates), clara.json with the tokenizer's special-token
/// ids, three PEFT adapters initialised as PEFT does (A Kaiming-uniform, B zero, so each adapter starts as a no-op),
/// and the tokenizer files.
/// </summary>
public static class InitialModelWriter
{
    private static readonly string[] TokenizerFiles = ["tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"];
    private static readonly string[] Adapters = [ClaraModel.EncoderAdapter, ClaraModel.QueryAdapter, ClaraModel.DecoderAdapter];

    public static string Write(string tokenizerDirectory, string output, InitialModelShape shape)
    {
        shape.Validate();
        var tokenizer = TokenizerLoader.Load(tokenizerDirectory);
        var ids = SpecialIds.From(tokenizer, shape.MemoryTokens, tokenizerDirectory);
        int vocab = tokenizer.VocabSize;

        Directory.CreateDirectory(output);
        foreach (var name in TokenizerFiles)
            File.Copy(Path.Combine(tokenizerDirectory, name), Path.Combine(output, name), overwrite: true);
        WriteJson(Path.Combine(output, "config.json"), w => WriteModelConfig(w, shape, vocab, ids));
        File.WriteAllText(Path.Combine(output, "clara.json"), ToClaraConfig(shape, ids).ToJson() + "\n");

        var config = ToModelConfig(shape, vocab);
        ulong key = (ulong)(uint)shape.Seed << 32;
        var tensors = new List<TensorToWrite>
        {
            Uniform(WeightNames.HfEmbedding, ++key, RandomWeights.InitStd, vocab, shape.Hidden),
            Ones(WeightNames.HfNorm, shape.Hidden),
            Uniform(WeightNames.HfLmHead, ++key, RandomWeights.InitStd, vocab, shape.Hidden),
        };
        long baseParameters = 2L * vocab * shape.Hidden + shape.Hidden;
        for (int i = 0; i < shape.Layers; i++)
        {
            tensors.Add(Ones(WeightNames.HfAttnNorm(i), shape.Hidden));
            tensors.Add(Ones(WeightNames.HfMlpNorm(i), shape.Hidden));
            baseParameters += 2L * shape.Hidden;
            foreach (var slot in LinearSlots.All)
            {
                var (o, n) = slot.Dims(config);
                tensors.Add(Uniform(WeightNames.HfLinear(i, slot), ++key, RandomWeights.InitStd, o, n));
                baseParameters += (long)o * n;
            }
        }
        SafetensorsWriter.Write(Path.Combine(output, "model.safetensors"), tensors);

        long adapterParameters = 0;
        foreach (var adapter in Adapters)
        {
            string directory = Path.Combine(output, "adapters", adapter);
            Directory.CreateDirectory(directory);
            // lora_alpha = 2·r, as the CLaRa reference sets it; every projection adapted, as the reference's "all-linear".
            File.WriteAllText(Path.Combine(directory, "adapter_config.json"), PeftAdapterConfig.ToJson(new PeftConfigValues(
                shape.LoraRank, 2.0 * shape.LoraRank, UseRsLora: false, LinearSlots.All.Select(s => s.TargetName()).ToList(), LayersToTransform: null)));
            var pairs = new List<TensorToWrite>();
            adapterParameters = 0;
            for (int i = 0; i < shape.Layers; i++)
                foreach (var slot in LinearSlots.All)
                {
                    var (o, n) = slot.Dims(config);
                    // PEFT: kaiming_uniform_(A, a=√5) is uniform on ±1/√in, whose standard deviation is 1/√(3·in).
                    pairs.Add(Uniform(WeightNames.PeftLora(i, slot, 'A'), ++key, 1f / MathF.Sqrt(3f * n), shape.LoraRank, n));
                    pairs.Add(TensorToWrite.FromFloat32(WeightNames.PeftLora(i, slot, 'B'), new Shape(o, shape.LoraRank), new float[o * shape.LoraRank]));
                    adapterParameters += (long)shape.LoraRank * (n + o);
                }
            SafetensorsWriter.Write(Path.Combine(directory, "adapter_model.safetensors"), pairs);
        }
        return $"{output}: vocabulary {vocab}, hidden {shape.Hidden}, {shape.Layers} layers, {shape.Heads} heads / {shape.KvHeads} KV heads, " +
               $"MLP {shape.Intermediate}; {baseParameters:N0} base parameters, {adapterParameters:N0} per adapter; " +
               $"n_mem {shape.MemoryTokens} (doc_max_length {shape.DocMaxLength} / rate {shape.CompressionRate}), top-k {shape.TopK}";
    }

    private static ModelConfig ToModelConfig(InitialModelShape s, int vocab) => new()
    {
        ModelType = "mistral",
        HiddenSize = s.Hidden,
        IntermediateSize = s.Intermediate,
        Layers = s.Layers,
        Heads = s.Heads,
        KvHeads = s.KvHeads,
        HeadDim = s.HeadDim,
        RmsNormEps = 1e-5f,
        RopeTheta = 1e6f,
        VocabSize = vocab,
        MaxPositionEmbeddings = 2048,
        BosTokenId = 1,
        EosTokenIds = [2],
    };

    /// <summary>Uniform on ±√3·std (HF draws a normal of that std; the recipe only needs the scale).</summary>
    private static TensorToWrite Uniform(string name, ulong key, float std, int rows, int columns)
    {
        var values = new float[(long)rows * columns];
        RandomWeights.Fill(key, 0, std, values);
        return TensorToWrite.FromFloat32(name, new Shape(rows, columns), values);
    }

    private static TensorToWrite Ones(string name, int length)
    {
        var values = new float[length];
        values.AsSpan().Fill(1f);
        return TensorToWrite.FromFloat32(name, new Shape(length), values);
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        using (var stream = File.Create(path))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        File.AppendAllText(path, "\n");
    }

    private static void WriteModelConfig(Utf8JsonWriter w, InitialModelShape s, int vocab, SpecialIds ids)
    {
        w.WriteStartArray("architectures");
        w.WriteStringValue("MistralForCausalLM");
        w.WriteEndArray();
        w.WriteString("model_type", "mistral");
        w.WriteNumber("hidden_size", s.Hidden);
        w.WriteNumber("intermediate_size", s.Intermediate);
        w.WriteNumber("num_hidden_layers", s.Layers);
        w.WriteNumber("num_attention_heads", s.Heads);
        w.WriteNumber("num_key_value_heads", s.KvHeads);
        w.WriteNumber("head_dim", s.HeadDim);
        w.WriteString("hidden_act", "silu");
        w.WriteNumber("rms_norm_eps", 1e-5);
        w.WriteNumber("rope_theta", 1e6);
        w.WriteNumber("vocab_size", vocab);
        w.WriteNumber("max_position_embeddings", 2048);
        w.WriteBoolean("tie_word_embeddings", false);
        w.WriteString("torch_dtype", "float32");
        w.WriteNumber("bos_token_id", ids.Bos);
        w.WriteNumber("eos_token_id", ids.Eos);
        w.WriteNumber("pad_token_id", ids.Pad);
        w.WriteBoolean("attention_bias", false);
        w.WriteNumber("initializer_range", RandomWeights.InitStd);
        w.WriteNull("sliding_window");
    }

    private static ClaraConfig ToClaraConfig(InitialModelShape s, SpecialIds ids) => new()
    {
        DocMaxLength = s.DocMaxLength,
        CompressionRate = s.CompressionRate,
        MemTokenIds = ids.Memory.ToArray(),
        EncTokenId = ids.Enc,
        SepTokenId = ids.Sep,
        AeTokenId = ids.Ae,
        PadTokenId = ids.Pad,
        BosTokenId = ids.Bos,
        EosTokenId = ids.Eos,
        TopK = s.TopK,
        Temperature = s.Temperature,
    };
}
