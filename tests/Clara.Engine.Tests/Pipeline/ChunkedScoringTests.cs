using Clara.Engine.Backends.Cpu;
using Clara.Engine.Pipeline;
using NUnit.Framework;

namespace Clara.Engine.Tests.Pipeline;

/// <summary>
/// Reranking past 8 191 documents: the corpus is held and scored in chunks of whole documents with 64-bit
/// offsets, so neither a 2 GiB span, the .NET array limit nor an int product (from document 32 768 at
/// 16 × 4096) stands in the way.
/// </summary>
public class ChunkedScoringTests
{
    [Test]
    public void TheLayoutOfAHundredThousandDocumentsAt16x4096NeedsNoIntOffset()
    {
        var layout = new DocumentMemoryLayout(100_000, 16 * 4096);

        Assert.That(layout.TotalFloats, Is.EqualTo(6_553_600_000L), "past int and past the array limit");
        Assert.That(layout.DocumentsPerChunk, Is.EqualTo(4096));
        Assert.That(layout.ChunkCount, Is.EqualTo(25));
        Assert.That(layout.DocumentsIn(24), Is.EqualTo(100_000 - 24 * 4096));
        Assert.That(layout.FlatOffset(40_000), Is.EqualTo(2_621_440_000L), "40 000 · 65 536 overflows an int");
        Assert.That(layout.Locate(32_768), Is.EqualTo((8, 0)));
        Assert.That(layout.Locate(99_999), Is.EqualTo((24, 1695 * 65_536)));
        long covered = Enumerable.Range(0, layout.ChunkCount).Sum(c => (long)layout.FloatsIn(c));
        Assert.That(covered, Is.EqualTo(layout.TotalFloats));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.Locate(100_000));
    }

    [Test]
    public void ADocumentWiderThanAChunkStillGetsAChunkOfItsOwn()
    {
        var layout = new DocumentMemoryLayout(3, width: 10, maxChunkFloats: 4);
        Assert.That((layout.DocumentsPerChunk, layout.ChunkCount, layout.FloatsIn(2)), Is.EqualTo((1, 3, 10)));
    }

    [Test]
    public void AHundredThousandDocumentsAreScoredChunkByChunkOnTheCpu()
    {
        const int count = 100_000, nMem = 2, hidden = 4, width = nMem * hidden;
        var random = new Random(11);
        var flat = new float[count * width];
        for (int i = 0; i < flat.Length; i++) flat[i] = (float)(random.NextDouble() * 2 - 1);
        var query = Enumerable.Range(0, width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        // Small chunks and uploads so the test crosses hundreds of chunk and upload boundaries in little memory.
        var documents = CompressedDocuments.Gather(count, nMem, hidden,
            (i, destination) => flat.AsSpan(i * width, width).CopyTo(destination), new float[count], maxChunkFloats: 8 * 997);
        using var backend = new CpuBackend();
        var scores = ChunkedScorer.Score(backend, query, documents, maxUploadFloats: 8 * 301);

        Assert.That(documents.Chunks, Has.Count.EqualTo((count + 996) / 997));
        Assert.Throws<InvalidOperationException>(() => _ = documents.Memory, "no single array behind a chunked corpus");
        Assert.That(scores, Has.Length.EqualTo(count));
        double worst = 0;
        for (int d = 0; d < count; d++)
        {
            Assert.That(documents.Document(d).ToArray(), Is.EqualTo(flat.AsSpan(d * width, width).ToArray()), $"document {d}");
            worst = Math.Max(worst, Math.Abs(scores[d] - Cosine(query, flat.AsSpan(d * width, width))));
        }
        Assert.That(worst, Is.LessThan(1e-5), "every chunk's scores land at its own documents");
    }

    [Test]
    public void OneArrayAndChunksScoreTheSame()
    {
        const int count = 50, width = 6;
        var random = new Random(3);
        var flat = Enumerable.Range(0, count * width).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var query = flat[..width];
        using var backend = new CpuBackend();

        var whole = ChunkedScorer.Score(backend, query, new CompressedDocuments(count, 2, 3, flat, new float[count]));
        var chunked = ChunkedScorer.Score(backend, query, CompressedDocuments.Gather(count, 2, 3,
            (i, destination) => flat.AsSpan(i * width, width).CopyTo(destination), new float[count], maxChunkFloats: 7 * width), maxUploadFloats: 3 * width);

        Assert.That(chunked, Is.EqualTo(whole));
    }

    private static double Cosine(float[] a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * (double)b[i]; na += a[i] * (double)a[i]; nb += b[i] * (double)b[i]; }
        return dot / Math.Sqrt(na * nb);
    }
}
