using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Training;

namespace Clara.Cli;

/// <summary>
/// clara average: weight averaging of models from one adapter-only training trajectory (the models of the rounds of a
/// cyclic schedule, say) into one model whose adapters are the mean of theirs; see <see cref="AdapterAveraging"/>.
/// </summary>
internal sealed class AverageCommand : ICommand
{
    private readonly Argument<string[]> _models = new("MODEL") { Description = "two or more model directories that differ only in their adapters", Arity = new ArgumentArity(2, 1000) };
    private readonly Option<string> _out = Options.RequiredText("--out", "DIR", "the averaged model directory (new or empty)");

    public Command Create() =>
        new Command("average", "average the LoRA adapters of models from one training run (weight averaging) into a new model directory")
            .With(_models, _out).With(Run);

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var models = p.GetValue(_models)!;
        // Comparing a 7B base with another reads tens of gigabytes, so the comparison has a bar.
        using var bar = TerminalProgress.ForStandardError(stderr, AdapterAveraging.ComparisonMebibytes(models), "MiB compared");
        var result = AdapterAveraging.Average(models, p.GetValue(_out)!, bar);
        bar?.Finish();
        stdout.WriteLine($"averaged {result.Tensors} tensors of {string.Join(", ", result.Adapters)} over {result.Models} models into {result.OutputDirectory}");
        return 0;
    }
}
