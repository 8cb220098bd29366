using System.Runtime.InteropServices;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;
using Clara.Engine.Training;

namespace Clara.Engine.Tests.Training;

/// <summary>
/// A toy objective for testing the trainer without the model graph: a linear layer fitted by least squares. An example
/// is a row index; the loss of a batch is the mean over its rows of Σₒ ((W x + b)ₒ − yₒ)² (one row = one "target token").
/// The gradient is the closed form, in double, added into the store through the backend (upload/download).
/// </summary>
internal sealed class LeastSquaresObjective : ITrainingObjective
{
    public const string WeightName = "linear.weight";
    public const string BiasName = "linear.bias";

    private readonly float[] _x, _y;
    private readonly int _in, _out;

    public LeastSquaresObjective(IBackend backend, float[] x, float[] y, float[] w0, float[] b0, int dIn, int dOut)
    {
        (_x, _y, _in, _out) = (x, y, dIn, dOut);
        Parameters = new ParameterStore(backend, [(WeightName, new Shape(dOut, dIn)), (BiasName, new Shape(dOut))]);
        Upload(Parameters[WeightName].Value, w0);
        Upload(Parameters[BiasName].Value, b0);
    }

    public ParameterStore Parameters { get; }

    public TrainingStage Stage => TrainingStage.Lm;
    public ExampleRules Rules { get; } = new(VocabSize: int.MaxValue, MaxPositions: int.MaxValue);

    /// <summary>Counts for <see cref="Clara.Engine.Training.Trainer"/>: one target per row.</summary>
    public static ExampleTokens Tokens { get; } = new(_ => 1, _ => 1);

    public float AccumulateGradients(IReadOnlyList<TrainingExample> batch)
    {
        var (loss, gw, gb) = Evaluate(Rows(batch), withGradient: true);
        Add(Parameters[WeightName].Gradient, gw!);
        Add(Parameters[BiasName].Gradient, gb!);
        return loss;
    }

    public float Evaluate(IReadOnlyList<TrainingExample> batch) => Evaluate(Rows(batch), withGradient: false).Loss;

    public int CopyToModelCalls { get; private set; }
    public void CopyToModel() => CopyToModelCalls++;

    /// <summary>Writes the trained tensors as one safetensors file, as a stage's Export writes its adapters.</summary>
    public void Export(string directory) =>
        Clara.Engine.IO.Safetensors.SafetensorsWriter.Write(Path.Combine(directory, "linear.safetensors"),
            Parameters.Parameters.Select(p => Clara.Engine.IO.Safetensors.TensorToWrite.FromFloat32(p.Name, p.Shape, p.Value.ToFloatArray())));

    private static int[] Rows(IReadOnlyList<TrainingExample> batch) => batch.Select(e => ((RowExample)e).Row).ToArray();

    public float[] Weight => Parameters[WeightName].Value.ToFloatArray();
    public float[] Bias => Parameters[BiasName].Value.ToFloatArray();

    private (float Loss, double[]? GradW, double[]? GradB) Evaluate(int[] batch, bool withGradient)
    {
        var w = Weight;
        var b = Bias;
        double loss = 0;
        var gw = withGradient ? new double[_out * _in] : null;
        var gb = withGradient ? new double[_out] : null;
        double inv = 1.0 / batch.Length;
        foreach (int r in batch)
        {
            for (int o = 0; o < _out; o++)
            {
                double z = b[o];
                for (int i = 0; i < _in; i++) z += (double)w[o * _in + i] * _x[r * _in + i];
                double residual = z - _y[r * _out + o];
                loss += residual * residual * inv;
                if (!withGradient) continue;
                gb![o] += 2 * residual * inv;
                for (int i = 0; i < _in; i++) gw![o * _in + i] += 2 * residual * inv * _x[r * _in + i];
            }
        }
        return ((float)loss, gw, gb);
    }

    private static void Upload(Tensor target, float[] values) =>
        target.Backend.Upload(MemoryMarshal.AsBytes(values.AsSpan()), target);

    private static void Add(Tensor gradient, double[] values)
    {
        var current = gradient.ToFloatArray();
        for (int i = 0; i < current.Length; i++) current[i] += (float)values[i];
        Upload(gradient, current);
    }

    public void Dispose() => Parameters.Dispose();
}

/// <summary>A row of the least-squares problem, as a training example.</summary>
internal sealed record RowExample(int Row) : TrainingExample
{
    public override TrainingStage Stage => TrainingStage.Lm;
    public override void Validate(ExampleRules rules) { }
}
