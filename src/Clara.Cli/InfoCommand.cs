using System.CommandLine;
using System.Globalization;
using Clara.CommandLine;
using Clara.Engine.Models;

namespace Clara.Cli;

/// <summary>clara info PATH: what a checkpoint holds, without running it.</summary>
internal sealed class InfoCommand : ICommand
{
    private readonly Argument<string> _path = new("PATH") { Description = "a model directory or engine file" };
    private readonly BackendOptions _backend = new();

    public Command Create() =>
        new Command("info", "print the config, parameter count, weight dtypes and adapters of a model directory")
            .With([_path, .. _backend.All]).With(Run);

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        string path = p.GetValue(_path)!;
        using var backend = _backend.Create(p);
        using var model = DecoderModel.Load(path, backend);
        var c = model.Config;
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine($"model        {model.Source}");
        stdout.WriteLine($"type         {c.ModelType}");
        stdout.WriteLine($"layers       {c.Layers}");
        stdout.WriteLine($"hidden       {c.HiddenSize} (mlp {c.IntermediateSize})");
        stdout.WriteLine($"heads        {c.Heads} query, {c.KvHeads} key/value, head dim {c.HeadDim}");
        stdout.WriteLine($"vocab        {c.VocabSize}{(c.TieWordEmbeddings ? " (tied embeddings)" : "")}");
        stdout.WriteLine(string.Create(inv, $"rope theta   {c.RopeTheta}, rms eps {c.RmsNormEps:G3}, context {c.MaxPositionEmbeddings}"));
        stdout.WriteLine(string.Create(inv, $"parameters   {c.ParameterCount:N0} ({c.ParameterCount / 1e9:F3} B)"));
        var dtypes = EnumerateBaseTensors(model.Weights).GroupBy(t => t.DType).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} × {g.Count()}");
        stdout.WriteLine($"dtypes       {string.Join(", ", dtypes)}");
        if (model.AdapterNames.Count == 0) stdout.WriteLine("adapters     none");
        foreach (var name in model.AdapterNames.Order(StringComparer.Ordinal))
        {
            var s = model.GetAdapter(name)!.Settings;
            stdout.WriteLine(string.Create(inv,
                $"adapter      {name}: r {s.Rank}, alpha {s.Alpha}, scale {s.Scale:G4}{(s.UseRsLora ? " (rsLoRA)" : "")}, targets {string.Join(",", s.TargetModules)}"));
        }
        return 0;
    }

    private static IEnumerable<Clara.Engine.Tensors.Tensor> EnumerateBaseTensors(ModelWeights w)
    {
        yield return w.Embedding;
        yield return w.Norm;
        if (!ReferenceEquals(w.LmHead, w.Embedding)) yield return w.LmHead;
        foreach (var layer in w.Layers)
        {
            yield return layer.AttnNorm;
            yield return layer.MlpNorm;
            foreach (var slot in LinearSlots.All) yield return layer[slot];
        }
    }
}
