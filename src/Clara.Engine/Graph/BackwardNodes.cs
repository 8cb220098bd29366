using Clara.Engine.Backends;

namespace Clara.Engine.Graph;

// Nodes that only backward rules append. They have no gradient rule of their own (no second derivatives). A node that
// adds into a gradient lists it among its reads too, so the planner keeps the earlier contributions alive.

internal sealed class FillNode(float value, Value output) : Node("fill", [], output)
{
    public float Value { get; } = value;
    public override void Execute(IKernels k, IValueBinding v) => k.Fill(v[Writes!], Value);
}

/// <summary>target[rows[i]] += source[i].</summary>
internal sealed class ScatterAddRowsNode(Value source, Value rows, Value target) : Node("scatter_add_rows", [source, rows, target], target)
{
    public override void Execute(IKernels k, IValueBinding v) => k.ScatterAddRows(v[Reads[0]], v[Reads[1]], v[Reads[2]]);
}

/// <summary>Writes the input gradient; adds into the weight gradient when the weight trains.</summary>
internal sealed class RmsNormBackwardNode(Value input, Value weight, float eps, Value gradOutput, Value gradInput, Value? gradWeight)
    : Node("rmsnorm_backward", gradWeight is null ? [input, weight, gradOutput] : [input, weight, gradOutput, gradWeight],
        gradWeight is null ? [gradInput] : [gradInput, gradWeight])
{
    public float Eps { get; } = eps;
    public override void Execute(IKernels k, IValueBinding v) =>
        k.RmsNormBackward(v[Reads[0]], v[Reads[1]], Eps, v[Reads[2]], v[Outputs[0]], Outputs.Count > 1 ? v[Outputs[1]] : null);
}

internal sealed class RopeBackwardNode(Value gradOutput, Value positions, int headDim, float theta, Value gradInput)
    : Node("rope_backward", [gradOutput, positions], gradInput)
{
    public int HeadDim { get; } = headDim;
    public float Theta { get; } = theta;
    public override void Execute(IKernels k, IValueBinding v) => k.RopeBackward(v[Reads[0]], v[Reads[1]], HeadDim, Theta, v[Writes!]);
}

internal sealed class SwiGluBackwardNode(Value gate, Value up, Value gradOutput, Value gradGate, Value gradUp)
    : Node("swiglu_backward", [gate, up, gradOutput], [gradGate, gradUp])
{
    public override void Execute(IKernels k, IValueBinding v) => k.SwiGluBackward(v[Reads[0]], v[Reads[1]], v[Reads[2]], v[Outputs[0]], v[Outputs[1]]);
}

internal sealed class SequenceAttentionBackwardNode(SequenceAttentionNode forward, Value gradOutput, Value gradQuery, Value gradKey, Value gradValue)
    : Node("sequence_attention_backward",
        [forward.Reads[0], forward.Reads[1], forward.Reads[2], forward.Reads[3], forward.Outputs[0], forward.Outputs[1], gradOutput],
        [gradQuery, gradKey, gradValue])
{
    public AttentionLayout Layout { get; } = forward.Layout;
    public override void Execute(IKernels k, IValueBinding v) =>
        k.SequenceAttentionBackward(v[Reads[0]], v[Reads[1]], v[Reads[2]], v[Reads[3]], Layout, v[Reads[4]], v[Reads[5]], v[Reads[6]],
            v[Outputs[0]], v[Outputs[1]], v[Outputs[2]]);
}

internal sealed class CrossEntropyBackwardNode(Value logits, Value targets, Value logSumExp, int ignoreIndex, float scale, Value gradLogits)
    : Node("cross_entropy_backward", [logits, targets, logSumExp], gradLogits)
{
    public int IgnoreIndex { get; } = ignoreIndex;
    public float Scale { get; } = scale;
    public override void Execute(IKernels k, IValueBinding v) =>
        k.CrossEntropyBackward(v[Reads[0]], v[Reads[1]], v[Reads[2]], IgnoreIndex, Scale, v[Writes!]);
}

/// <summary>Adds gradScale · ∂mse[b]/∂hidden for every document into gradHidden.</summary>
internal sealed class AlignmentLossBackwardNode(Value roles, Value docMean, Value memMean, float gradScale, Value gradHidden)
    : Node("alignment_loss_backward", [roles, docMean, memMean, gradHidden], gradHidden)
{
    public float GradScale { get; } = gradScale;
    public override void Execute(IKernels k, IValueBinding v) =>
        k.AlignmentLossBackward(v[Reads[0]], v[Reads[1]], v[Reads[2]], GradScale, v[Reads[3]]);
}

internal sealed class CosineScoresBackwardNode(Value query, Value candidates, Value gradScores, Value gradQuery)
    : Node("cosine_scores_backward", [query, candidates, gradScores, gradQuery], gradQuery)
{
    public override void Execute(IKernels k, IValueBinding v) => k.CosineScoresBackward(v[Reads[0]], v[Reads[1]], v[Reads[2]], v[Reads[3]]);
}

internal sealed class CosineScoresCandidatesBackwardNode(Value query, Value candidates, Value gradScores, Value gradCandidates)
    : Node("cosine_scores_backward_candidates", [query, candidates, gradScores, gradCandidates], gradCandidates)
{
    public override void Execute(IKernels k, IValueBinding v) => k.CosineScoresBackwardCandidates(v[Reads[0]], v[Reads[1]], v[Reads[2]], v[Reads[3]]);
}

internal sealed class StraightThroughTopKBackwardNode(Value soft, Value gradWeights, float temperature, Value gradScores)
    : Node("straight_through_topk_backward", [soft, gradWeights], gradScores)
{
    public float Temperature { get; } = temperature;
    public override void Execute(IKernels k, IValueBinding v) => k.StraightThroughTopKBackward(v[Reads[0]], v[Reads[1]], Temperature, v[Writes!]);
}
