using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Pipeline;

/// <summary>
/// §3 cosine scores of a query against a corpus, uploaded and scored a bounded number of documents at a
/// time: one upload of the whole corpus overflows a span past 2 GiB and may not fit the device. Each
/// chunk's scores land at the chunk's first document, so the result equals one call over all documents.
/// </summary>
public static class ChunkedScorer
{
    /// <summary>Default floats per upload: 2²⁶ (256 MiB), a bounded device allocation per step.</summary>
    public const int DefaultMaxUploadFloats = 1 << 26;

    public static float[] Score(IBackend backend, float[] query, CompressedDocuments documents, int maxUploadFloats = DefaultMaxUploadFloats)
    {
        int width = documents.Layout.Width;
        if (query.Length != width) throw new ArgumentException($"query has {query.Length} values, documents {width}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxUploadFloats);
        var scores = new float[documents.Count];
        if (documents.Count == 0) return scores;

        int perUpload = Math.Max(1, maxUploadFloats / width);
        var q = Tensor.FromFloats(backend, query, width);
        try
        {
            for (int chunk = 0; chunk < documents.Layout.ChunkCount; chunk++)
            {
                var memory = documents.Chunks[chunk];
                int first = documents.Layout.FirstDocument(chunk), inChunk = documents.Layout.DocumentsIn(chunk);
                for (int start = 0; start < inChunk; start += perUpload)
                {
                    int n = Math.Min(perUpload, inChunk - start);
                    ScoreSlice(backend, q, memory.AsSpan(checked(start * width), checked(n * width)), n, width, scores.AsSpan(first + start, n));
                }
            }
        }
        finally
        {
            q.Buffer.Dispose();
        }
        return scores;
    }

    private static void ScoreSlice(IBackend backend, Tensor q, ReadOnlySpan<float> memory, int n, int width, Span<float> scores)
    {
        var d = Tensor.FromFloats(backend, memory, n, width);
        var s = Tensor.Allocate(backend, new Shape(n), DType.F32);
        try
        {
            backend.Kernels.CosineScores(q, d, s);
            s.ToFloatArray().CopyTo(scores);
        }
        finally
        {
            d.Buffer.Dispose();
            s.Buffer.Dispose();
        }
    }
}
