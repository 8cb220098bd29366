using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/embedding.cu.</summary>
internal sealed class EmbeddingLauncher(KernelLauncher launcher)
{
    public void Forward(Tensor ids, Tensor table, Tensor output)
    {
        var (vocab, hidden) = EmbeddingRules.Check(ids, table, output);
        string suffix = CudaTensor.StorageSuffix(table, "embedding table");
        var args = new KernelArguments().Add(launcher.I32(ids, "embedding ids")).Add(launcher.Any(table, "embedding table"))
            .Add(launcher.F32(output, "embedding output")).Add(hidden).Add(vocab).Add(launcher.Faults);
        if (ids.ElementCount == 0) return;
        launcher.Launch("embedding.cu", "clara_embedding_" + suffix, LaunchShapes.PerRow(ids.ElementCount), args);
    }
}
