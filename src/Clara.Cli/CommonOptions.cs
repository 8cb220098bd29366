using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine;
using Clara.Engine.Backends;

namespace Clara.Cli;

/// <summary>--model, defined once so that every command reads it the same way.</summary>
internal static class ModelOption
{
    public static Option<string> Create(string helpName = "DIR") =>
        Options.RequiredText("--model", helpName, "the model: a CLaRa directory (clara.json, weights, adapters), an HF directory or an engine file");
}

/// <summary>--device and --threads: the backend a command runs on.</summary>
internal sealed class BackendOptions
{
    public Option<string> Device { get; }
    public Option<int?> Threads { get; } = Options.OptionalInt("--threads", "N", "threads of the CPU backend (default: all cores)", min: 1);

    public BackendOptions(string fallbackDevice = "cpu")
    {
        Device = Options.Text("--device", "cpu|cuda|cuda:N", fallbackDevice, "the backend to run on");
    }

    public Option[] All => [Device, Threads];

    /// <summary>The backend the options name; the caller disposes it.</summary>
    public IBackend Create(ParseResult p)
    {
        // Checked here, not by the parser: an unknown device is bad input (exit 1), as documented.
        var device = p.GetValue(Device)!;
        if (device is not ("cpu" or "cuda") && !(device.StartsWith("cuda:", StringComparison.Ordinal) && uint.TryParse(device.AsSpan(5), out _)))
            throw new InvalidInputException($"unknown device '{device}' (cpu, cuda or cuda:N)");
        return BackendFactory.Create(device, p.GetValue(Threads));
    }
}
