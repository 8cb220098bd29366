using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Profiling;

/// <summary>
/// A backend that forwards everything to another one and times each kernel call (synchronising after each, so on
/// an asynchronous backend the times are per kernel too). Answers "where does a workload's time go".
/// </summary>
public sealed class ProfilingBackend(IBackend inner) : IBackend
{
    private readonly TimingKernels _kernels = new(inner);

    public string Name => inner.Name + "+profile";
    public IKernels Kernels => _kernels;
    public KernelProfile Profile => _kernels.Profile;

    public DeviceBuffer Allocate(long byteLength) => inner.Allocate(byteLength);
    public void Upload(ReadOnlySpan<byte> source, Tensor destination) => inner.Upload(source, destination);
    public void Download(Tensor source, Span<byte> destination) => inner.Download(source, destination);
    public DeviceBuffer? TryWrapHostMemory(nint address, long byteLength, IDisposable? keepAlive) => inner.TryWrapHostMemory(address, byteLength, keepAlive);
    public void Synchronize() => inner.Synchronize();
    public void Dispose() => inner.Dispose();
}
