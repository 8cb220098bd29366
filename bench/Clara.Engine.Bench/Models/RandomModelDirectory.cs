using Clara.Engine.Backends;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Models;

/// <summary>
/// Writes a <see cref="BenchModel"/>'s base weights (the same seeded tensors the in-process model and the GGUF peer
/// get) as an HF model directory (config.json + model.safetensors), so a later process loads them the way a user's
/// does: <see cref="CheckpointLoader.LoadBase"/> memory-maps the file and the CPU backend reads the mapping in place,
/// with no second copy and without the generation's temporary arrays counted in that process's peak RSS.
/// </summary>
public static class RandomModelDirectory
{
    public static void Write(string directory, ModelWeights weights, IBackend backend, DType dtype)
    {
        var c = weights.Config;
        Directory.CreateDirectory(directory);
        RandomClaraDirectory.WriteJson(Path.Combine(directory, "config.json"), w => RandomClaraDirectory.WriteModelConfig(w, c, dtype));
        var tensors = new List<TensorToWrite>
        {
            Tensor(WeightNames.HfEmbedding, weights.Embedding, backend),
            Tensor(WeightNames.HfNorm, weights.Norm, backend),
        };
        if (!c.TieWordEmbeddings) tensors.AddRange(Tensors(WeightNames.HfLmHead, weights.LmHead, backend));
        for (int i = 0; i < c.Layers; i++)
        {
            var layer = weights.Layers[i];
            tensors.Add(Tensor(WeightNames.HfAttnNorm(i), layer.AttnNorm, backend));
            tensors.Add(Tensor(WeightNames.HfMlpNorm(i), layer.MlpNorm, backend));
            foreach (var slot in LinearSlots.All) tensors.AddRange(Tensors(WeightNames.HfLinear(i, slot), layer[slot], backend));
        }
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);
    }

    /// <summary>
    /// A matrix as the loader reads it: one tensor, or for Q8_0 (the layout of <c>clara convert --dtype q8_0</c>) its I8
    /// values under the weight's name and its F16 block scales under <see cref="Q8Blocks.ScalesName"/>.
    /// </summary>
    private static IEnumerable<TensorToWrite> Tensors(string name, Tensor tensor, IBackend backend) =>
        tensor.DType == DType.Q8_0
            ? [Tensor(name, tensor, DType.I8, backend), Tensor(Q8Blocks.ScalesName(name), tensor.BlockScales!, backend)]
            : [Tensor(name, tensor, backend)];

    private static TensorToWrite Tensor(string name, Tensor tensor, IBackend backend) => Tensor(name, tensor, tensor.DType, backend);

    /// <summary>The tensor's bytes, read from the backend only while the writer streams it out (one tensor in memory at a time).</summary>
    private static TensorToWrite Tensor(string name, Tensor tensor, DType storedAs, IBackend backend) =>
        TensorToWrite.FromCallback(name, storedAs, tensor.Shape, stream =>
        {
            var bytes = new byte[tensor.ByteLength];
            backend.Download(tensor, bytes);
            stream.Write(bytes);
        });
}
