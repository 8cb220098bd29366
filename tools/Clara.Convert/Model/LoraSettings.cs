using System.Text.Json;
using Clara.Engine.Models;

namespace Clara.Convert.Model;

/// <summary>
/// LoRA hyperparameters of one adapter: y = W x + scale · B (A x), scale = alpha / r, or alpha / √r with rsLoRA.
/// </summary>
/// <param name="TargetModules">PEFT's target_modules as configured ("all-linear" comes through as null).</param>
/// <param name="LayersToTransform">PEFT's layers_to_transform; null means every layer.</param>
public sealed record LoraSettings(int Rank, double Alpha, bool UseRsLora, IReadOnlyList<string>? TargetModules,
    IReadOnlyList<int>? LayersToTransform, string Source)
{
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Reads a PEFT adapter_config.json with the engine's parser, so both refuse and honour the same settings.</summary>
    public static LoraSettings LoadPeftConfig(string path)
    {
        PeftConfigValues values;
        try
        {
            values = PeftAdapterConfig.ParseValues(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return new LoraSettings(values.Rank, values.Alpha, values.UseRsLora, values.TargetModules, values.LayersToTransform, path);
    }
}
