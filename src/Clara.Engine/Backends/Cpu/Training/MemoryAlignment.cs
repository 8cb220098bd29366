using Clara.Engine.Training;

namespace Clara.Engine.Backends.Cpu.Training;

/// <summary>
/// CPU twin of the alignment-loss kernels in kernels/memory_tokens.cu (spec §2): per document b,
/// mse[b] = mean over hidden of (mean of the Document rows − mean of the Memory rows)², and its gradient
/// with respect to the hidden states. A mean over no rows is 0.
/// </summary>
public static class MemoryAlignment
{
    /// <summary>hidden [batch, len, width], roles [batch, len] → docMean, memMean [batch, width].</summary>
    public static void Means(ReadOnlySpan<float> hidden, ReadOnlySpan<int> roles, int len, int width,
        Span<float> docMean, Span<float> memMean)
    {
        int batch = Batch(hidden, roles, len, width);
        if (docMean.Length != batch * width || memMean.Length != batch * width)
            throw new ArgumentException($"alignment means need {batch * width} values each");
        var doc = new double[width];
        var mem = new double[width];
        for (int b = 0; b < batch; b++)
        {
            Array.Clear(doc);
            Array.Clear(mem);
            int nDoc = 0, nMem = 0;
            for (int t = 0; t < len; t++)
            {
                var role = (MemoryTokenRole)roles[b * len + t];
                double[]? sum = role switch { MemoryTokenRole.Document => doc, MemoryTokenRole.Memory => mem, _ => null };
                if (sum is null) continue;
                if (role == MemoryTokenRole.Document) nDoc++; else nMem++;
                var row = hidden.Slice((b * len + t) * width, width);
                for (int h = 0; h < width; h++) sum[h] += row[h];
            }
            for (int h = 0; h < width; h++)
            {
                docMean[b * width + h] = nDoc > 0 ? (float)(doc[h] / nDoc) : 0f;
                memMean[b * width + h] = nMem > 0 ? (float)(mem[h] / nMem) : 0f;
            }
        }
    }

    /// <summary>mse[b] = mean over the width of (docMean[b] − memMean[b])².</summary>
    public static void Mse(ReadOnlySpan<float> docMean, ReadOnlySpan<float> memMean, int width, Span<float> mse)
    {
        if (docMean.Length != memMean.Length || docMean.Length != mse.Length * width)
            throw new ArgumentException($"alignment mse: means of {docMean.Length} and {memMean.Length} values do not give {mse.Length} rows of {width}");
        for (int b = 0; b < mse.Length; b++)
        {
            double sum = 0;
            for (int h = 0; h < width; h++)
            {
                double d = docMean[b * width + h] - memMean[b * width + h];
                sum += d * d;
            }
            mse[b] = (float)(sum / width);
        }
    }

    /// <summary>
    /// ADDS gradMse[b] · ∂mse[b]/∂hidden[b, t] to gradHidden [batch, len, width]: Document rows get
    /// 2(docMean − memMean)/(width · nDoc), Memory rows the negative over nMem, other rows nothing.
    /// </summary>
    public static void MseBackward(ReadOnlySpan<int> roles, ReadOnlySpan<float> docMean, ReadOnlySpan<float> memMean,
        ReadOnlySpan<float> gradMse, int len, int width, Span<float> gradHidden)
    {
        int batch = Batch(gradHidden, roles, len, width);
        if (docMean.Length != batch * width || memMean.Length != batch * width || gradMse.Length != batch)
            throw new ArgumentException($"alignment backward needs means of {batch * width} values and {batch} mse gradients");
        for (int b = 0; b < batch; b++)
        {
            int nDoc = 0, nMem = 0;
            for (int t = 0; t < len; t++)
            {
                var role = (MemoryTokenRole)roles[b * len + t];
                if (role == MemoryTokenRole.Document) nDoc++;
                else if (role == MemoryTokenRole.Memory) nMem++;
            }
            for (int t = 0; t < len; t++)
            {
                var role = (MemoryTokenRole)roles[b * len + t];
                if (role is not (MemoryTokenRole.Document or MemoryTokenRole.Memory)) continue;
                float factor = role == MemoryTokenRole.Document
                    ? gradMse[b] * 2f / ((float)width * nDoc)
                    : -gradMse[b] * 2f / ((float)width * nMem);
                var g = gradHidden.Slice((b * len + t) * width, width);
                for (int h = 0; h < width; h++) g[h] += factor * (docMean[b * width + h] - memMean[b * width + h]);
            }
        }
    }

    private static int Batch(ReadOnlySpan<float> hidden, ReadOnlySpan<int> roles, int len, int width)
    {
        if (len <= 0 || width <= 0 || roles.Length % len != 0)
            throw new ArgumentException($"{roles.Length} roles are not rows of length {len}");
        int batch = roles.Length / len;
        if (hidden.Length != batch * len * width)
            throw new ArgumentException($"hidden states of {hidden.Length} values are not [{batch}, {len}, {width}]");
        return batch;
    }
}
