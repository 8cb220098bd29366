using System.CommandLine;
using Clara.Engine.Tensors;
using System.Buffers;
using System.Globalization;
using Clara.Convert.Output;
using Clara.Engine.IO.Safetensors;

namespace Clara.Convert.Commands;

/// <summary>
/// How far apart one tensor is in two files. Relative difference of an element pair is
/// |a − b| / max(|a|, |b|) (0 when both are 0), so it is symmetric and bounded by 2.
/// </summary>
public sealed record TensorDifference(string Name, string DTypes, string Shape, double MaxAbs, double MaxRel, string? Problem);

public static class TensorDiff
{
    public static IReadOnlyList<TensorDifference> Compare(string pathA, string pathB)
    {
        using var a = SafetensorsFile.Open(pathA);
        using var b = SafetensorsFile.Open(pathB);
        var rows = new List<TensorDifference>();
        foreach (var ea in a.Tensors)
        {
            if (!b.TryGet(ea.Name, out var eb))
            {
                rows.Add(new(ea.Name, ea.DType.ToString(), ea.Shape.ToString(), double.NaN, double.NaN, "only in A"));
                continue;
            }
            string dtypes = ea.DType == eb.DType ? ea.DType.ToString() : $"{ea.DType}/{eb.DType}";
            if (!ea.Shape.Equals(eb.Shape))
                rows.Add(new(ea.Name, dtypes, $"{ea.Shape} vs {eb.Shape}", double.NaN, double.NaN, "shapes differ"));
            else if (!ea.DType.IsFloatStorage() || !eb.DType.IsFloatStorage())
                rows.Add(new(ea.Name, dtypes, ea.Shape.ToString(), double.NaN, double.NaN, "not a float tensor"));
            else
            {
                var (maxAbs, maxRel) = MaxDifferences(a, ea, b, eb);
                rows.Add(new(ea.Name, dtypes, ea.Shape.ToString(), maxAbs, maxRel, null));
            }
        }
        foreach (var eb in b.Tensors)
            if (!a.Contains(eb.Name)) rows.Add(new(eb.Name, eb.DType.ToString(), eb.Shape.ToString(), double.NaN, double.NaN, "only in B"));
        return rows;
    }

    private static (double MaxAbs, double MaxRel) MaxDifferences(SafetensorsFile a, SafetensorsEntry ea, SafetensorsFile b, SafetensorsEntry eb)
    {
        float[] va = ArrayPool<float>.Shared.Rent(SafetensorsChunks.ChunkElements);
        float[] vb = ArrayPool<float>.Shared.Rent(SafetensorsChunks.ChunkElements);
        double maxAbs = 0, maxRel = 0;
        try
        {
            for (long first = 0; first < ea.ElementCount; first += SafetensorsChunks.ChunkElements)
            {
                int count = (int)Math.Min(SafetensorsChunks.ChunkElements, ea.ElementCount - first);
                SafetensorsChunks.ReadFloat32(a, ea, first, va.AsSpan(0, count));
                SafetensorsChunks.ReadFloat32(b, eb, first, vb.AsSpan(0, count));
                for (int i = 0; i < count; i++)
                {
                    double x = va[i], y = vb[i];
                    if (double.IsNaN(x) || double.IsNaN(y))
                    {
                        if (double.IsNaN(x) && double.IsNaN(y)) continue;
                        return (double.PositiveInfinity, double.PositiveInfinity);
                    }
                    if (x == y) continue; // also equal infinities, whose difference would be NaN
                    double abs = Math.Abs(x - y);
                    maxAbs = Math.Max(maxAbs, abs);
                    maxRel = Math.Max(maxRel, abs / Math.Max(Math.Abs(x), Math.Abs(y)));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(va);
            ArrayPool<float>.Shared.Return(vb);
        }
        return (maxAbs, maxRel);
    }
}

internal static class DiffCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("A") { Description = "a safetensors file" };
        var b = new Argument<string>("B") { Description = "the safetensors file to compare it with" };
        var tolerance = Clara.CommandLine.Options.OptionalDouble("--tolerance", "T", "fail when a max_abs exceeds T", min: 0);
        var command = new Command("diff", "max abs / max rel difference of every tensor of two files") { a, b, tolerance };
        command.SetAction(p => Run(p.GetValue(a)!, p.GetValue(b)!, p.GetValue(tolerance), p.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string fileA, string fileB, double? tolerance, TextWriter stdout)
    {
        var rows = TensorDiff.Compare(fileA, fileB);
        int width = Math.Max(6, rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length));
        stdout.WriteLine($"{"tensor".PadRight(width)}  {"dtype",-9}  {"shape",-16}  {"max_abs",11}  {"max_rel",11}");
        foreach (var r in rows)
        {
            string numbers = r.Problem ?? $"{Format(r.MaxAbs),11}  {Format(r.MaxRel),11}";
            stdout.WriteLine($"{r.Name.PadRight(width)}  {r.DTypes,-9}  {r.Shape,-16}  {numbers}");
        }
        var compared = rows.Where(r => r.Problem is null).ToList();
        if (compared.Count > 0)
        {
            var worst = compared.MaxBy(r => r.MaxAbs)!;
            stdout.WriteLine($"{compared.Count} tensors compared; largest max_abs {Format(worst.MaxAbs)} in {worst.Name}; " +
                             $"largest max_rel {Format(compared.Max(r => r.MaxRel))}");
        }
        int mismatched = rows.Count(r => r.Problem is not null);
        if (mismatched > 0) stdout.WriteLine($"{mismatched} tensor(s) could not be compared");
        bool withinTolerance = tolerance is null || compared.All(r => r.MaxAbs <= tolerance);
        return mismatched == 0 && withinTolerance ? 0 : 1;
    }

    private static string Format(double value) => value.ToString("0.000e+00", CultureInfo.InvariantCulture);
}
