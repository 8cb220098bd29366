using Clara.Engine.Training;
using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>The CPU twin of the §2 alignment-loss kernels against a PyTorch masked-mean MSE and its autograd gradient.</summary>
public class MemoryAlignmentTwinTests
{
    [Test]
    public void MeansAndMseMatchPyTorch()
    {
        var f = KernelFixture.Load("memory_alignment");
        var shape = f.Shape("hidden");
        int batch = shape[0], len = shape[1], width = shape[2];
        var docMean = new float[batch * width];
        var memMean = new float[batch * width];
        var mse = new float[batch];

        MemoryAlignment.Means(f.F32("hidden"), f.I32("roles"), len, width, docMean, memMean);
        MemoryAlignment.Mse(docMean, memMean, width, mse);

        Compare.AssertClose(docMean, f.F32("doc_mean"), 1e-6, "document means");
        Compare.AssertClose(memMean, f.F32("mem_mean"), 1e-6, "memory means");
        Compare.AssertClose(mse, f.F32("mse"), 1e-6, "alignment mse");
    }

    [Test]
    public void BackwardAddsTheAutogradGradient()
    {
        var f = KernelFixture.Load("memory_alignment");
        var shape = f.Shape("hidden");
        int len = shape[1], width = shape[2];
        var expected = f.F32("grad_hidden");
        // Start from a non-zero gradient: the kernel accumulates (the hidden states also get the LM gradient).
        var initial = Enumerable.Range(0, expected.Length).Select(i => (float)Math.Sin(i)).ToArray();
        var grad = (float[])initial.Clone();

        MemoryAlignment.MseBackward(f.I32("roles"), f.F32("doc_mean"), f.F32("mem_mean"), f.F32("grad_mse"), len, width, grad);

        var added = grad.Select((g, i) => g - initial[i]).ToArray();
        Compare.AssertClose(added, expected, 1e-5, "hidden-state gradient");
        var roles = f.I32("roles");
        for (int row = 0; row < roles.Length; row++)
            if (roles[row] == (int)MemoryTokenRole.Ignored)
                Assert.That(grad.AsSpan(row * width, width).ToArray(), Is.EqualTo(initial.AsSpan(row * width, width).ToArray()), $"padding row {row} untouched");
    }
}
