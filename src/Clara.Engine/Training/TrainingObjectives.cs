using Clara.Engine.Models;
using Clara.Engine.Pipeline;

namespace Clara.Engine.Training;

/// <summary>Creates the stage objectives the trainer and <c>clara grad</c> run.</summary>
public static class TrainingObjectives
{
    /// <summary>A CLaRa stage (scp, instruct, e2e; lm trains the CLaRa model's base too).</summary>
    public static ITrainingObjective Create(ClaraModel model, TrainingStage stage, TrainingOptions? options = null) =>
        throw new NotImplementedException("stage objectives are being written on wip/training");

    /// <summary>Stage lm over a plain decoder: every base weight trains (F32 weights only).</summary>
    public static ITrainingObjective CreateLm(DecoderModel model, TrainingOptions? options = null) =>
        throw new NotImplementedException("stage objectives are being written on wip/training");
}
