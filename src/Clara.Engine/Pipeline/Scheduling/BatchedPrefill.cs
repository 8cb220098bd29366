using Clara.Engine.Models;

namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// The prefills of several prompts as one forward. On a CPU a 100-token prefill runs its products at a few rows per
/// weight load and LoRA factor, far below what the same products reach over 16 prompts' rows, so prompts that join
/// the decode batch at one step boundary are prefilled together.
/// </summary>
internal static class BatchedPrefill
{
    /// <summary>
    /// One forward's inputs for <paramref name="prompts"/> (each a lone prefill: batch 1, positions from 0): row b holds
    /// prompt b right-aligned at the longest length, its left padding masked and its positions unchanged, so each
    /// row's last token (whose logits are taken) sits at the same cache index and sees exactly its own prompt. Memory
    /// slots are spliced at their shifted rows. A single prompt's inputs are returned as they are (a lone call's).
    /// </summary>
    public static ForwardInputs Combine(IReadOnlyList<ForwardInputs> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("no prompts to prefill", nameof(prompts));
        if (prompts.Count == 1) return prompts[0];
        int batch = prompts.Count, aligned = prompts.Max(p => p.Length);
        var ids = new int[batch * aligned];
        var attend = new int[batch * aligned];
        var positions = new int[batch * aligned];
        var logitRows = new int[batch];
        var spliceRows = new List<int>();
        var spliceValues = new List<float>();
        for (int b = 0; b < batch; b++)
        {
            var p = prompts[b];
            if (p.Batch != 1 || p.LogitRows is not [int last]) throw new ArgumentException($"prompt {b} is not a lone prefill with one logit row", nameof(prompts));
            // Padding ids are never seen (masked keys; their own outputs unread); 0 is inside every vocabulary.
            int first = b * aligned + aligned - p.Length;
            p.Ids.CopyTo(ids, first);
            p.Attend.CopyTo(attend, first);
            p.Positions.CopyTo(positions, first);
            logitRows[b] = first + last;
            if (p.SpliceRows is { } rows)
            {
                foreach (int r in rows) spliceRows.Add(first + r);
                spliceValues.AddRange(p.SpliceValues!);
            }
        }
        return new ForwardInputs(batch, aligned, ids, attend, positions)
        {
            LogitRows = logitRows,
            SpliceRows = spliceRows.Count > 0 ? [.. spliceRows] : null,
            SpliceValues = spliceRows.Count > 0 ? [.. spliceValues] : null,
        };
    }
}
