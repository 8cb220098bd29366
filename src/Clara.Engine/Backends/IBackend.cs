using Clara.Engine.Tensors;

namespace Clara.Engine.Backends;

/// <summary>
/// A place where tensors live and kernels run. The model and the graph executor only talk to this
/// interface, so the same model code runs on the CPU and on CUDA.
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>"cpu" or "cuda:0".</summary>
    string Name { get; }

    DeviceBuffer Allocate(long byteLength);

    /// <summary>Copies host bytes into <paramref name="destination"/> (a whole tensor).</summary>
    void Upload(ReadOnlySpan<byte> source, Tensor destination);

    /// <summary>Copies a whole tensor to host memory; waits for pending work.</summary>
    void Download(Tensor source, Span<byte> destination);

    IKernels Kernels { get; }

    /// <summary>
    /// Host memory (a memory-mapped weight file) as a buffer of this backend without a copy, where its kernels read
    /// host memory directly; null where they cannot, and the caller allocates and uploads instead. The memory must
    /// outlive the buffer; <paramref name="keepAlive"/> is disposed with it.
    /// </summary>
    DeviceBuffer? TryWrapHostMemory(nint address, long byteLength, IDisposable? keepAlive);

    /// <summary>Blocks until all queued work is done and surfaces asynchronous errors.</summary>
    void Synchronize();
}
