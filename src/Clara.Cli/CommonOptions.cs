using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine;
using Clara.Engine.Backends;
using Clara.Engine.Pipeline;

namespace Clara.Cli;

/// <summary>--model, defined once so that every command reads it the same way.</summary>
internal static class ModelOption
{
    private const string Description = "the model: a CLaRa directory (clara.json, weights, adapters), an HF directory or an engine file";

    public static Option<string> Create(string helpName = "DIR") => Options.RequiredText("--model", helpName, Description);

    /// <summary>
    /// --model, which falls back to the engine's default model (<see cref="DefaultModel"/>, placed beside the program
    /// by the build); a program built without it says so when the option is left out.
    /// </summary>
    public static Option<string> OrDefault(string helpName = "DIR") =>
        new("--model")
        {
            HelpName = helpName,
            Description = Description + $" (default: the engine's own model, {DefaultModel.RelativePath} beside the program)",
            DefaultValueFactory = r =>
            {
                if (DefaultModel.IsInstalled) return DefaultModel.Directory;
                r.AddError($"missing --model: this program was built without the default model ({DefaultModel.Directory})");
                return null!;
            },
        };
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
