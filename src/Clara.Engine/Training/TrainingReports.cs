namespace Clara.Engine.Training;

/// <summary>One finished update as the progress display and the metrics log see it.</summary>
public sealed record TrainingStepReport(int Step, int TotalSteps, double Loss, double LearningRate, float GradientNorm, float ClipScale,
    double Epoch, long Tokens, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>Where a run reports as it goes (a terminal progress bar, log lines, nothing).</summary>
public interface ITrainingReporter
{
    void Step(TrainingStepReport report);
    void Evaluation(int step, double loss);
    void Message(string text);
}

/// <summary>Reports nowhere.</summary>
public sealed class SilentTrainingReporter : ITrainingReporter
{
    public static SilentTrainingReporter Instance { get; } = new();
    public void Step(TrainingStepReport report) { }
    public void Evaluation(int step, double loss) { }
    public void Message(string text) { }
}

/// <summary>How a run ended.</summary>
public sealed record TrainingResult(int Step, int TotalSteps, bool Cancelled, double? LastLoss, double? LastEvalLoss, string CheckpointPath);
