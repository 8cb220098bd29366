namespace Clara.Engine.Backends.Ops;

/// <summary>The operand rules of <see cref="IKernels.RmsNorm"/>: rows of input/output F32 [n, hidden], weight [hidden].</summary>
public static class RmsNormRules
{
    /// <summary>Returns the row width.</summary>
    public static int Check(Tensor input, Tensor weight, Tensor output)
    {
        OperandDTypes.RequireF32((input, "rmsnorm input"), (output, "rmsnorm output"));
        OperandDTypes.RequireFloatStorage(weight, "rmsnorm weight");
        int hidden = input.Shape[-1];
        if (weight.ElementCount != hidden || output.ElementCount != input.ElementCount)
            throw new ArgumentException($"rmsnorm shapes disagree: input {input.Shape}, weight {weight.Shape}, output {output.Shape}");
        return hidden;
    }
}
