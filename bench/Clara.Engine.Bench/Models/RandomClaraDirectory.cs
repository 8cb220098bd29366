using System.Text.Json;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Models;

/// <summary>
/// Writes a complete random CLaRa directory (spec §7: HF config and weights, clara.json, the three PEFT adapters) so
/// the end-to-end benchmark goes through <see cref="ClaraModel.Load"/> exactly as a real checkpoint does. Values come
/// from <see cref="RandomWeights.Fill"/>; whole tensors are held in memory, which suits the tiny and small configs.
/// </summary>
public static class RandomClaraDirectory
{
    public const int LoraRank = 16;

    public static void Write(string directory, ModelConfig config, ClaraConfig clara, DType dtype, int seed)
    {
        Directory.CreateDirectory(directory);
        WriteJson(Path.Combine(directory, "config.json"), w => WriteModelConfig(w, config, dtype));
        WriteJson(Path.Combine(directory, "clara.json"), w => WriteClaraConfig(w, clara));
        ulong key = (ulong)(uint)seed << 32;
        var tensors = new List<TensorToWrite>
        {
            Random(WeightNames.HfEmbedding, dtype, ++key, config.VocabSize, config.HiddenSize),
            Ones(WeightNames.HfNorm, dtype, config.HiddenSize),
            Random(WeightNames.HfLmHead, dtype, ++key, config.VocabSize, config.HiddenSize),
        };
        for (int i = 0; i < config.Layers; i++)
        {
            tensors.Add(Ones(WeightNames.HfAttnNorm(i), dtype, config.HiddenSize));
            tensors.Add(Ones(WeightNames.HfMlpNorm(i), dtype, config.HiddenSize));
            foreach (var slot in LinearSlots.All)
            {
                var (o, n) = slot.Dims(config);
                tensors.Add(Random(WeightNames.HfLinear(i, slot), dtype, ++key, o, n));
            }
        }
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);

        foreach (var adapter in new[] { ClaraModel.EncoderAdapter, ClaraModel.QueryAdapter, ClaraModel.DecoderAdapter })
        {
            string adapterDirectory = Path.Combine(directory, "adapters", adapter);
            Directory.CreateDirectory(adapterDirectory);
            WriteJson(Path.Combine(adapterDirectory, "adapter_config.json"), WriteAdapterConfig);
            var pairs = new List<TensorToWrite>();
            for (int i = 0; i < config.Layers; i++)
                foreach (var slot in LinearSlots.All)
                {
                    var (o, n) = slot.Dims(config);
                    pairs.Add(Random(WeightNames.PeftLora(i, slot, 'A'), dtype, ++key, LoraRank, n));
                    pairs.Add(Random(WeightNames.PeftLora(i, slot, 'B'), dtype, ++key, o, LoraRank));
                }
            SafetensorsWriter.Write(Path.Combine(adapterDirectory, "adapter_model.safetensors"), pairs);
        }
    }

    private static TensorToWrite Random(string name, DType dtype, ulong key, int rows, int columns)
    {
        var values = new float[(long)rows * columns];
        RandomWeights.Fill(key, 0, RandomWeights.InitStd, values);
        return TensorToWrite.FromFloat32(name, new Shape(rows, columns), values, dtype);
    }

    private static TensorToWrite Ones(string name, DType dtype, int length)
    {
        var values = new float[length];
        values.AsSpan().Fill(1f);
        return TensorToWrite.FromFloat32(name, new Shape(length), values, dtype);
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
    }

    private static void WriteModelConfig(Utf8JsonWriter w, ModelConfig c, DType dtype)
    {
        w.WriteString("model_type", c.ModelType);
        w.WriteNumber("hidden_size", c.HiddenSize);
        w.WriteNumber("intermediate_size", c.IntermediateSize);
        w.WriteNumber("num_hidden_layers", c.Layers);
        w.WriteNumber("num_attention_heads", c.Heads);
        w.WriteNumber("num_key_value_heads", c.KvHeads);
        w.WriteNumber("head_dim", c.HeadDim);
        w.WriteNumber("rms_norm_eps", c.RmsNormEps);
        w.WriteNumber("rope_theta", c.RopeTheta);
        w.WriteNumber("vocab_size", c.VocabSize);
        w.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings);
        w.WriteBoolean("tie_word_embeddings", c.TieWordEmbeddings);
        w.WriteString("torch_dtype", dtype == DType.BF16 ? "bfloat16" : dtype == DType.F16 ? "float16" : "float32");
    }

    private static void WriteClaraConfig(Utf8JsonWriter w, ClaraConfig c)
    {
        w.WriteNumber("doc_max_length", c.DocMaxLength);
        w.WriteNumber("compression_rate", c.CompressionRate);
        w.WriteStartArray("mem_token_ids");
        foreach (var id in c.MemTokenIds) w.WriteNumberValue(id);
        w.WriteEndArray();
        w.WriteNumber("enc_token_id", c.EncTokenId);
        w.WriteNumber("sep_token_id", c.SepTokenId);
        w.WriteNumber("ae_token_id", c.AeTokenId);
        w.WriteNumber("pad_token_id", c.PadTokenId);
        w.WriteNumber("bos_token_id", c.BosTokenId);
        w.WriteNumber("eos_token_id", c.EosTokenId);
        w.WriteNumber("top_k", c.TopK);
        w.WriteNumber("temperature", c.Temperature);
    }

    private static void WriteAdapterConfig(Utf8JsonWriter w)
    {
        w.WriteString("peft_type", "LORA");
        w.WriteNumber("r", LoraRank);
        w.WriteNumber("lora_alpha", 2 * LoraRank);
        w.WriteBoolean("use_rslora", false);
        w.WriteStartArray("target_modules");
        foreach (var slot in LinearSlots.All) w.WriteStringValue(slot.TargetName());
        w.WriteEndArray();
    }
}
