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
        File.WriteAllText(Path.Combine(directory, "clara.json"), clara.ToJson());
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
            // lora_alpha = 2·r on every projection, as the CLaRa reference sets them.
            File.WriteAllText(Path.Combine(adapterDirectory, "adapter_config.json"), PeftAdapterConfig.ToJson(new PeftConfigValues(
                LoraRank, 2.0 * LoraRank, UseRsLora: false, LinearSlots.All.Select(s => s.TargetName()).ToList(), LayersToTransform: null)));
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

    internal static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
    }

    internal static void WriteModelConfig(Utf8JsonWriter w, ModelConfig c, DType dtype)
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
}
