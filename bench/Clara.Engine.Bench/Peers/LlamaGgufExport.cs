using Clara.Engine.Backends;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Peers;

/// <summary>
/// Writes a decoder's base weights as a llama.cpp GGUF ("llama" architecture, the one llama.cpp runs Mistral under),
/// so llama.cpp runs exactly the weights the engine runs. As llama.cpp's convert_hf_to_gguf.py does, the rows of
/// q_proj and k_proj are permuted within each head from HF's half-split rotary layout (pairs i, i + d/2) to GGML's
/// interleaved one (pairs 2i, 2i + 1). Norm weights are written F32 (llama.cpp keeps norms in F32); projections,
/// embedding and lm_head in the engine's storage type, bytes unchanged (Q8_0: the same int8 values and f16 scales,
/// interleaved into GGML's 34-byte blocks; the embedding of a Q8_0 model is F16 on both sides). The vocabulary is a stand-in of the right
/// size (unknown, bos, eos, the 256 byte pieces, then placeholders): benchmarks feed token ids, never text.
/// </summary>
public static class LlamaGgufExport
{
    public static void Write(ModelWeights weights, IBackend backend, string path)
    {
        var c = weights.Config;
        if (c.TieWordEmbeddings) throw new NotSupportedException("the GGUF export writes an untied lm_head");
        var g = new GgufWriter();
        var type = Ggml(weights.Layers[0][LinearSlot.Q].DType);
        g.Add("general.architecture", "llama");
        g.Add("general.name", "clara-bench-random");
        // llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_Q8_0, MOSTLY_BF16.
        g.Add("general.file_type", type switch { GgmlType.F32 => 0u, GgmlType.F16 => 1u, GgmlType.Q8_0 => 7u, _ => 32u });
        g.Add("llama.context_length", (uint)Math.Min(c.MaxPositionEmbeddings, 4096));
        g.Add("llama.embedding_length", (uint)c.HiddenSize);
        g.Add("llama.block_count", (uint)c.Layers);
        g.Add("llama.feed_forward_length", (uint)c.IntermediateSize);
        g.Add("llama.attention.head_count", (uint)c.Heads);
        g.Add("llama.attention.head_count_kv", (uint)c.KvHeads);
        g.Add("llama.attention.key_length", (uint)c.HeadDim);
        g.Add("llama.attention.value_length", (uint)c.HeadDim);
        g.Add("llama.rope.dimension_count", (uint)c.HeadDim);
        g.Add("llama.rope.freq_base", c.RopeTheta);
        g.Add("llama.attention.layer_norm_rms_epsilon", c.RmsNormEps);
        g.Add("llama.vocab_size", (uint)c.VocabSize);
        AddVocabulary(g, c);

        g.AddTensor("token_embd.weight", [c.VocabSize, c.HiddenSize], Ggml(weights.Embedding.DType), Bytes(backend, weights.Embedding));
        for (int i = 0; i < c.Layers; i++)
        {
            var layer = weights.Layers[i];
            string b = $"blk.{i}.";
            g.AddTensor(b + "attn_norm.weight", [c.HiddenSize], GgmlType.F32, GgufWriter.F32Bytes(layer.AttnNorm.ToFloatArray()));
            Linear(g, backend, b + "attn_q.weight", layer[LinearSlot.Q], type, c.Heads);
            Linear(g, backend, b + "attn_k.weight", layer[LinearSlot.K], type, c.KvHeads);
            Linear(g, backend, b + "attn_v.weight", layer[LinearSlot.V], type, null);
            Linear(g, backend, b + "attn_output.weight", layer[LinearSlot.O], type, null);
            g.AddTensor(b + "ffn_norm.weight", [c.HiddenSize], GgmlType.F32, GgufWriter.F32Bytes(layer.MlpNorm.ToFloatArray()));
            Linear(g, backend, b + "ffn_gate.weight", layer[LinearSlot.Gate], type, null);
            Linear(g, backend, b + "ffn_up.weight", layer[LinearSlot.Up], type, null);
            Linear(g, backend, b + "ffn_down.weight", layer[LinearSlot.Down], type, null);
        }
        g.AddTensor("output_norm.weight", [c.HiddenSize], GgmlType.F32, GgufWriter.F32Bytes(weights.Norm.ToFloatArray()));
        g.AddTensor("output.weight", [c.VocabSize, c.HiddenSize], type, Bytes(backend, weights.LmHead));
        g.Write(path);
    }

    private static GgmlType Ggml(DType dtype) => dtype switch
    {
        DType.F32 => GgmlType.F32,
        DType.F16 => GgmlType.F16,
        DType.BF16 => GgmlType.BF16,
        DType.Q8_0 => GgmlType.Q8_0,
        _ => throw new NotSupportedException($"no GGUF export for {dtype} weights"),
    };

    private static void Linear(GgufWriter g, IBackend backend, string name, Tensor weight, GgmlType type, int? rotaryHeads)
    {
        if (Ggml(weight.DType) != type) throw new NotSupportedException($"{name}: mixed weight types ({weight.DType})");
        var bytes = Bytes(backend, weight);
        int rows = (int)weight.Shape[0], columns = (int)weight.Shape[1];
        if (rotaryHeads is { } heads) bytes = InterleaveRotaryPairs(bytes, rows, bytes.Length / rows, heads);
        g.AddTensor(name, [rows, columns], type, bytes);
    }

    /// <summary>
    /// convert_hf_to_gguf.py's permute: w.reshape(heads, 2, d/2, in).swapaxes(1, 2).reshape(w.shape), i.e. within
    /// each head of d rows, new row 2i + j is old row j·d/2 + i.
    /// </summary>
    public static byte[] InterleaveRotaryPairs(byte[] rowsBytes, int rows, int rowBytes, int heads)
    {
        if (rows % heads != 0 || rows / heads % 2 != 0) throw new ArgumentException($"{rows} rows do not split into {heads} heads of even size");
        int d = rows / heads, half = d / 2;
        var result = new byte[rowsBytes.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                {
                    int from = h * d + j * half + i, to = h * d + 2 * i + j;
                    Buffer.BlockCopy(rowsBytes, from * rowBytes, result, to * rowBytes, rowBytes);
                }
        return result;
    }

    private static byte[] Bytes(IBackend backend, Tensor tensor)
    {
        var bytes = new byte[tensor.ByteLength];
        backend.Download(tensor, bytes);
        if (tensor.BlockScales is not { } scales) return bytes;
        var scaleBytes = new byte[scales.ByteLength];
        backend.Download(scales, scaleBytes);
        return Q8Blocks(bytes, scaleBytes);
    }

    /// <summary>GGML's block_q8_0 array: per 32 values, the f16 scale (2 bytes) then the 32 int8 values.</summary>
    public static byte[] Q8Blocks(byte[] values, byte[] scales)
    {
        int blocks = values.Length / 32;
        if (scales.Length != blocks * 2) throw new ArgumentException($"{scales.Length} scale bytes for {blocks} Q8_0 blocks");
        var packed = new byte[blocks * 34];
        for (int b = 0; b < blocks; b++)
        {
            Buffer.BlockCopy(scales, b * 2, packed, b * 34, 2);
            Buffer.BlockCopy(values, b * 32, packed, b * 34 + 2, 32);
        }
        return packed;
    }

    /// <summary>llama.cpp's SentencePiece ("llama") vocabulary keys with stand-in pieces; token types per llama.h.</summary>
    private static void AddVocabulary(GgufWriter g, ModelConfig c)
    {
        const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;
        var tokens = new List<string>(c.VocabSize);
        var types = new List<int>(c.VocabSize);
        tokens.AddRange(["<unk>", "<s>", "</s>"]);
        types.AddRange([Unknown, Control, Control]);
        for (int b = 0; b < 256 && tokens.Count < c.VocabSize; b++)
        {
            tokens.Add($"<0x{b:X2}>");
            types.Add(Byte);
        }
        while (tokens.Count < c.VocabSize)
        {
            tokens.Add($"\u2581t{tokens.Count}");
            types.Add(Normal);
        }
        g.Add("tokenizer.ggml.model", "llama");
        g.Add("tokenizer.ggml.tokens", tokens);
        g.Add("tokenizer.ggml.scores", Enumerable.Range(0, c.VocabSize).Select(i => -(float)i).ToList());
        g.Add("tokenizer.ggml.token_type", types);
        g.Add("tokenizer.ggml.bos_token_id", (uint)(c.BosTokenId ?? 1));
        g.Add("tokenizer.ggml.eos_token_id", 2u);
        g.Add("tokenizer.ggml.unknown_token_id", 0u);
    }
}
