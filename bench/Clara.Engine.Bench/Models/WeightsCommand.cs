using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Bench.Workloads;

namespace Clara.Engine.Bench.Models;

/// <summary>
/// <c>weights</c>: writes the bench's random base weights (same seed as <c>workload</c> and <c>gguf</c>, no LoRA) as
/// an HF model directory, for <c>workload --weights-dir</c> to map as a user's process would.
/// </summary>
public static class WeightsCommand
{
    public static Command Create()
    {
        var model = BenchOptions.AnyModel();
        var dtype = BenchOptions.DType();
        var output = Options.RequiredText("--out", "DIR", "the model directory to write (config.json, model.safetensors)");
        return new Command("weights", "write the bench's random base weights (same seed, no LoRA) as a model directory") { model, dtype, output }
            .WithAction(p => Write(p.GetValue(model)!, WorkloadCommand.ParseDType(p.GetValue(dtype)!), p.GetValue(output)!));
    }

    private static int Write(string modelName, Engine.Tensors.DType dtype, string directory)
    {
        using var backend = BenchSettings.BackendFactory();
        using var model = BenchModel.Create(modelName, dtype, loraRank: 0, backend);
        RandomModelDirectory.Write(directory, model.Weights, backend, dtype);
        Console.Error.WriteLine($"wrote {directory}");
        return 0;
    }
}
