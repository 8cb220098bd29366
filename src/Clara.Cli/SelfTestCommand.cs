using System.CommandLine;
using Clara.Engine.Backends.Cuda;
using Clara.Engine.Diagnostics;

namespace Clara.Cli;

/// <summary>clara selftest: every CUDA kernel against its CPU twin on random inputs of awkward sizes.</summary>
internal sealed class SelfTestCommand : ICommand
{
    // Only --device: the self-test always runs its own CPU twin with the default threads.
    private readonly BackendOptions _backend = new(fallbackDevice: "cuda");

    public Command Create() =>
        new Command("selftest", "check every CUDA kernel against its CPU twin (max relative error, GB/s); without a GPU, says so and compiles the kernels")
            .With(_backend.Device).With((p, stdout, _) => SelfTest.Run(p.GetValue(_backend.Device)!, stdout));
}
