using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>Collects every missing, mis-shaped or unexpected tensor so one error lists all of them.</summary>
internal sealed class WeightValidation(string source)
{
    private readonly List<string> _problems = [];

    public void Expect(WeightSource weights, string name, params int[] dims) => Expect(weights, name, dims, quantisable: false);

    /// <param name="quantisable">The tensor may be stored Q8_0: I8 values plus F16 scales (<see cref="Q8Blocks"/>).</param>
    public void Expect(WeightSource weights, string name, int[] dims, bool quantisable)
    {
        if (!weights.TryGetEntry(name, out var entry))
        {
            _problems.Add($"missing tensor {name} (expected [{string.Join(", ", dims)}])");
            return;
        }
        if (!entry.Shape.Equals(new Shape(dims)))
            _problems.Add($"tensor {name} has shape {entry.Shape}, expected [{string.Join(", ", dims)}]");
        if (quantisable && entry.DType == DType.I8)
            ExpectScales(weights, name, entry.Shape);
        else if (!entry.DType.IsFloatStorage() || entry.DType == DType.F64)
            _problems.Add($"tensor {name} is {entry.DType}; weights must be F32, BF16 or F16" + (quantisable ? " (or Q8_0: I8 values with F16 scales)" : ""));
    }

    private void ExpectScales(WeightSource weights, string name, Shape shape)
    {
        string scales = Q8Blocks.ScalesName(name);
        if (!weights.TryGetEntry(scales, out var entry))
        {
            _problems.Add($"tensor {name} is I8 (Q8_0 values) but its scales {scales} are missing");
            return;
        }
        try
        {
            Q8Blocks.CheckShapes(shape, entry.Shape, entry.DType, $"tensor {name}");
        }
        catch (InvalidDataException e)
        {
            _problems.Add(e.Message);
        }
    }

    public void Unexpected(string name) => _problems.Add($"unexpected tensor {name}");

    public void ThrowIfAny()
    {
        if (_problems.Count == 0) return;
        throw new InvalidDataException($"{source}: {_problems.Count} problem(s) with the weights:" + ConfigLimits.ListProblems(_problems));
    }
}
