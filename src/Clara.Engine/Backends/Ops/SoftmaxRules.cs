namespace Clara.Engine.Backends.Ops;

/// <summary>The operand rules of <see cref="IKernels.LogSoftmax"/>: input and output F32 of one size, rows along the last axis.</summary>
public static class SoftmaxRules
{
    /// <summary>Returns the row width.</summary>
    public static int CheckLogSoftmax(Tensor input, Tensor output)
    {
        OperandDTypes.RequireF32((input, "log-softmax input"), (output, "log-softmax output"));
        if (input.ElementCount != output.ElementCount) throw new ArgumentException($"log-softmax output {output.Shape} differs from input {input.Shape}");
        return input.Shape[-1];
    }
}
