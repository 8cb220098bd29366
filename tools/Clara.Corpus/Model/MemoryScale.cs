using Clara.Engine;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;

namespace Clara.Corpus.Model;

/// <summary>
/// Rescales a trained base so that its memory vectors have the size of its token embeddings, without changing what
/// it computes as a language model: the final RMSNorm's weight is multiplied by a factor and lm_head divided by it.
/// </summary>
/// <remarks>
/// A memory vector is the final RMSNorm's output (spec §2), and the generator takes it in place of a token
/// embedding (§5). After base pretraining that output was about 40 times the size of an embedding (norm 19 against
/// 0.49), so in the generator's residual stream the memory swamped every layer's update and the generator never
/// learned to read it: EM 0.07 from memory after 2600 SCP updates. With the factor applied first, the same SCP
/// read single facts after 500 updates (docs/default-model.md, run 5). Cosine scores do not change with the scale.
/// </remarks>
public static class MemoryScale
{
    /// <summary>The factor that brings √hidden · rms(final norm weight), a memory vector's expected norm, to the mean embedding norm.</summary>
    public static float MatchingFactor(SafetensorsFile weights)
    {
        var embedding = weights[WeightNames.HfEmbedding];
        var rows = weights.ReadAsFloat32(WeightNames.HfEmbedding);
        int hidden = (int)embedding.Shape.Dims[1];
        double embeddingNorm = 0;
        for (int r = 0; r < rows.Length / hidden; r++)
        {
            double sum = 0;
            foreach (var v in rows.AsSpan(r * hidden, hidden)) sum += (double)v * v;
            embeddingNorm += Math.Sqrt(sum);
        }
        embeddingNorm /= rows.Length / hidden;
        var norm = weights.ReadAsFloat32(WeightNames.HfNorm);
        double memoryNorm = Math.Sqrt(norm.Sum(v => (double)v * v));
        if (memoryNorm == 0 || embeddingNorm == 0)
            throw new InvalidInputException($"{weights.Path}: the final norm or the embedding is all zeros; there is no scale to match");
        return (float)(embeddingNorm / memoryNorm);
    }

    /// <summary>Writes <paramref name="output"/>: the model directory with its base rescaled by the factor (matched when null); returns the factor.</summary>
    public static float Write(string model, string output, float? factor)
    {
        if (Path.TrimEndingDirectorySeparator(Path.GetFullPath(model)) == Path.TrimEndingDirectorySeparator(Path.GetFullPath(output)))
            throw new InvalidInputException("scale-memory writes a new directory: --out must differ from --model");
        string weightsPath = Path.Combine(model, "model.safetensors");
        if (!File.Exists(weightsPath)) throw new InvalidInputException($"{model} has no model.safetensors");
        using var weights = SafetensorsFile.Open(weightsPath);
        foreach (var name in new[] { WeightNames.HfEmbedding, WeightNames.HfNorm, WeightNames.HfLmHead })
            if (!weights.Contains(name)) throw new InvalidInputException($"{weightsPath} has no {name} (an untied Mistral/Llama base is needed)");
        float f = factor ?? MatchingFactor(weights);
        if (!(f > 0) || float.IsInfinity(f)) throw new InvalidInputException($"the factor must be a positive number, not {f}");

        CopyDirectory(model, output);
        var tensors = weights.Tensors.Select(entry => entry.Name switch
        {
            _ when entry.Name == WeightNames.HfNorm => Scaled(weights, entry, f),
            _ when entry.Name == WeightNames.HfLmHead => Scaled(weights, entry, 1f / f),
            // Written straight from the mapped file: the other tensors are not copied into memory on the way.
            _ => TensorToWrite.FromCallback(entry.Name, entry.DType, entry.Shape, stream => stream.Write(weights.GetBytes(entry))),
        });
        SafetensorsWriter.Write(Path.Combine(output, "model.safetensors"), tensors.ToList(), new Dictionary<string, string>(weights.Metadata));
        return f;
    }

    private static TensorToWrite Scaled(SafetensorsFile weights, SafetensorsEntry entry, float by)
    {
        var values = weights.ReadAsFloat32(entry.Name);
        for (int i = 0; i < values.Length; i++) values[i] *= by;
        return TensorToWrite.FromFloat32(entry.Name, entry.Shape, values, entry.DType);
    }

    /// <summary>Everything but the weights, the training checkpoint and the metrics, which belong to the run that made the model.</summary>
    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (relative == "model.safetensors" || relative == "metrics.jsonl" || relative.StartsWith("checkpoint" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                continue;
            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
