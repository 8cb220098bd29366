using System.Globalization;
using Clara.Engine.Training;

namespace Clara.Cli;

/// <summary>
/// Training progress on stderr: on a terminal one bar redrawn in place (step, loss, learning rate, tokens/s, ETA);
/// otherwise (a log file, a pipe) one plain line per update.
/// </summary>
internal sealed class ConsoleTrainingReporter(TextWriter output, bool live) : ITrainingReporter, IDisposable
{
    private const int BarWidth = 24;
    private bool _barShown;

    public void Step(TrainingStepReport r)
    {
        string figures = string.Create(CultureInfo.InvariantCulture,
            $"step {r.Step}/{r.TotalSteps}  loss {r.Loss:F4}  lr {r.LearningRate:0.00e+00}  {r.TokensPerSecond:F0} tok/s  ETA {Duration(r.Remaining)}");
        if (!live)
        {
            output.WriteLine(figures + string.Create(CultureInfo.InvariantCulture, $"  grad-norm {r.GradientNorm:G4}  epoch {r.Epoch:F2}"));
            return;
        }
        int filled = (int)Math.Round(BarWidth * (double)r.Step / r.TotalSteps);
        output.Write($"\r[{new string('#', filled)}{new string('.', BarWidth - filled)}] {figures}\u001b[K");
        output.Flush();
        _barShown = true;
    }

    public void Evaluation(int step, double loss) =>
        Message(string.Create(CultureInfo.InvariantCulture, $"step {step}: eval loss {loss:F4}"));

    public void Message(string text)
    {
        EndBar();
        output.WriteLine(text);
    }

    public void Dispose() => EndBar();

    private void EndBar()
    {
        if (!_barShown) return;
        output.WriteLine();
        _barShown = false;
    }

    private static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes:D2}:{t.Seconds:D2}";
}
