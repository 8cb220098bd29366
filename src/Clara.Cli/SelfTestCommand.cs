using Clara.Engine.Diagnostics;

namespace Clara.Cli;

/// <summary>clara selftest: every CUDA kernel against its CPU twin on random inputs of awkward sizes.</summary>
internal sealed class SelfTestCommand : ICommand
{
    public string Name => "selftest";
    public string Usage => "selftest [--device cpu|cuda|cuda:N]";
    public string Summary => "check every CUDA kernel against its CPU twin (max relative error, GB/s); without a GPU, says so and compiles the kernels";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string>());
        var device = a.Optional("device") ?? "cuda";
        a.RejectUnknown();
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        return SelfTest.Run(device, stdout);
    }
}
