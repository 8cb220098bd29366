using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/embedding.cu.</summary>
internal sealed class EmbeddingLauncher(KernelLauncher launcher)
{
    public void Forward(Tensor ids, Tensor table, Tensor output)
    {
        var idPointer = launcher.I32(ids, "embedding ids");
        string suffix = CudaTensor.StorageSuffix(table, "embedding table");
        var tablePointer = launcher.Any(table, "embedding table");
        var outPointer = launcher.F32(output, "embedding output");
        if (table.Shape.Rank != 2) throw new ArgumentException($"embedding table must be [vocab, hidden], got {table.Shape}");
        int vocab = table.Shape[0], hidden = table.Shape[1];
        if (output.ElementCount != ids.ElementCount * hidden)
            throw new ArgumentException($"embedding output {output.Shape} does not match {ids.ElementCount} ids × {hidden}");
        if (ids.ElementCount == 0) return;

        var args = new KernelArguments().Add(idPointer).Add(tablePointer).Add(outPointer).Add(hidden).Add(vocab).Add(launcher.Faults);
        launcher.Launch("embedding.cu", "clara_embedding_" + suffix, LaunchShapes.PerRow(ids.ElementCount), args);
    }
}
