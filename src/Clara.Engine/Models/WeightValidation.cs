using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>Collects every missing, mis-shaped or unexpected tensor so one error lists all of them.</summary>
internal sealed class WeightValidation(string source)
{
    private readonly List<string> _problems = [];

    public void Expect(WeightSource weights, string name, params int[] dims)
    {
        if (!weights.TryGetEntry(name, out var entry))
        {
            _problems.Add($"missing tensor {name} (expected [{string.Join(", ", dims)}])");
            return;
        }
        if (!entry.Shape.Equals(new Shape(dims)))
            _problems.Add($"tensor {name} has shape {entry.Shape}, expected [{string.Join(", ", dims)}]");
        if (!entry.DType.IsFloatStorage() || entry.DType == DType.F64)
            _problems.Add($"tensor {name} is {entry.DType}; weights must be F32, BF16 or F16");
    }

    public void Unexpected(string name) => _problems.Add($"unexpected tensor {name}");

    public void ThrowIfAny()
    {
        if (_problems.Count == 0) return;
        throw new InvalidDataException($"{source}: {_problems.Count} problem(s) with the weights:" + ConfigLimits.ListProblems(_problems));
    }
}
