using Clara.Convert.Output;
using Clara.Convert.Planning;
using Clara.Engine.Models;

namespace Clara.Convert.Commands;

/// <summary>--dry-run: the name mapping and the output size, and nothing written.</summary>
internal static class DryRunReport
{
    public static void Print(ConversionPlan plan, ConvertArguments arguments, TextWriter stdout)
    {
        bool toDirectory = arguments.OutDirectory is not null;
        stdout.WriteLine($"dry run: nothing is written. Output would be {(toDirectory ? "CLaRa directory " + arguments.OutDirectory : arguments.OutFile)}");
        foreach (var input in plan.Inputs) stdout.WriteLine($"input {input.Path}: {input.Describe()}");
        var ordered = toDirectory ? plan.Tensors.ToList() : EngineFileWriter.AlignmentFriendlyOrder(plan.Tensors);
        int width = ordered.Max(t => t.Source.Name.Length);
        foreach (var t in ordered)
        {
            string target = toDirectory ? ClaraDirectoryWriter.OutputName(t.Name) : t.Name;
            stdout.WriteLine($"  {t.Source.Name.PadRight(width)} -> {target}  {t.Source.DType}->{t.DType} {t.Shape}  {Sizes.Format(t.ByteLength)}");
        }
        foreach (var a in plan.Adapters)
            stdout.WriteLine($"adapter {a.Name}: r={a.Entry.Rank} alpha={a.Entry.Alpha} rslora={a.Entry.UseRsLora} scale={a.Entry.Scale} " +
                             $"targets={string.Join(",", a.Entry.Targets.Select(t => t.EngineName()))} ({a.Origin})");
        foreach (var note in plan.Notes) stdout.WriteLine($"note: {note}");
        stdout.WriteLine($"{ordered.Count} tensors, {Sizes.Format(plan.DataBytes)} of tensor data ({plan.DataBytes} bytes) plus a header of a few KiB; " +
                         $"vocabulary {plan.VocabSize}");
    }
}
