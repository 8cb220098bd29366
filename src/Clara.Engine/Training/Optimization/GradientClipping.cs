namespace Clara.Engine.Training.Optimization;

/// <summary>
/// Clipping by the global L2 norm over every trainable tensor, as torch.nn.utils.clip_grad_norm_ (PyTorch 1.13)
/// computes it: coef = max_norm / (norm + 1e-6), clamped to at most 1, and every gradient multiplied by coef.
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// The factor the gradients are multiplied by. Evaluated in float32 in PyTorch's order (the norm is a float32
    /// tensor; <c>max_norm / tensor</c> is <c>tensor.reciprocal() * max_norm</c>), so the clipped gradient carries the
    /// same rounding as PyTorch's. <paramref name="maxNorm"/> ≤ 0 disables clipping (factor 1).
    /// </summary>
    public static float Scale(float globalNorm, double maxNorm)
    {
        if (maxNorm <= 0) return 1f;
        if (!float.IsFinite(globalNorm))
            throw new InvalidOperationException($"the gradient norm is {globalNorm}: the loss or a gradient overflowed");
        float denominator = globalNorm + 1e-6f;
        float coefficient = (1f / denominator) * (float)maxNorm;
        return Math.Min(coefficient, 1f);
    }
}
