namespace Clara.Engine.Backends.Cpu;

// Placeholder so the contract compiles; the kernel twins land in the next commit.
internal sealed partial class CpuKernels
{
    public CpuKernels(int threads) => Threads = threads;
    public int Threads { get; }
}
