using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>The launch shapes the kernel files document, in one place.</summary>
internal static class LaunchShapes
{
    public const int RowThreads = 256;
    public const int ElementwiseThreads = 256;

    /// <summary>One block per row.</summary>
    public static LaunchShape PerRow(long rows, int threads = RowThreads, int sharedBytes = 0) =>
        new(new Dim3(checked((uint)rows)), new Dim3((uint)threads), sharedBytes);

    /// <summary>A grid-stride loop over <paramref name="count"/> elements: enough blocks to fill the GPU, no more.</summary>
    public static LaunchShape Elementwise(long count, int multiprocessors)
    {
        long blocks = Math.Clamp((count + ElementwiseThreads - 1) / ElementwiseThreads, 1, 32L * multiprocessors);
        return new LaunchShape(new Dim3((uint)blocks), new Dim3(ElementwiseThreads));
    }
}
