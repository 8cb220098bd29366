using Clara.Engine.Backends.Cpu;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>
/// The frozen compressor's memory cache (<see cref="FrozenDocumentMemories"/>): on the CPU backend a batch's loss and
/// every gradient are bit-identical with the cache (first compressing, then reusing) and without it (every document
/// compressed inside the batch's graph). That the cached path also equals PyTorch autograd is
/// <see cref="StageGradientOracleSuite"/>'s, which runs both paths.
/// </summary>
public class FrozenDocumentMemoriesTests
{
    [TestCase("clara-distinct", "instruct")]
    [TestCase("clara-distinct", "e2e")]
    [TestCase("clara-distinct", "rank")]
    [TestCase("clara-repeated", "e2e")]
    [TestCase("clara-repeated", "rank")]
    public void CachedMemoriesGiveTheSameLossAndGradientsBitForBit(string model, string stageName)
    {
        var stage = TrainingStages.Parse(stageName);
        using var backend = new CpuBackend(2);
        using var clara = ClaraModel.Load(Fixtures.Clara(model), backend);
        var batch = PretokenizedExamples.Read(StageGradientOracleSuite.DataFile(model, stageName), stage);
        using var recompressing = TrainingObjectives.Create(clara, stage, new TrainingOptions { MemoryCacheMegabytes = 0 });
        using var caching = TrainingObjectives.Create(clara, stage, new TrainingOptions { MemoryCacheMegabytes = 16 });
        var cache = ((ClaraStageObjective)caching).FrozenMemories!;
        Assert.That(((ClaraStageObjective)recompressing).FrozenMemories, Is.Null);

        var (expectedLoss, expected) = Gradients(recompressing, batch);
        var (firstLoss, first) = Gradients(caching, batch);
        long documents = cache.Compressed;
        var (secondLoss, second) = Gradients(caching, batch);

        Assert.That(documents, Is.GreaterThan(0));
        Assert.That(cache.Compressed, Is.EqualTo(documents), "the second run compresses nothing");
        Assert.That(cache.Reused, Is.GreaterThanOrEqualTo(documents), "the second run reuses every document");
        Assert.That(firstLoss, Is.EqualTo(expectedLoss), "loss while compressing");
        Assert.That(secondLoss, Is.EqualTo(expectedLoss), "loss from the cache");
        foreach (var (name, gradient) in expected)
        {
            Assert.That(gradient.Any(v => v != 0f), Is.True, $"{name} received no gradient: the test would prove nothing");
            Assert.That(first[name], Is.EqualTo(gradient), name + " while compressing");
            Assert.That(second[name], Is.EqualTo(gradient), name + " from the cache");
        }
    }

    [Test]
    public void OnlyAFrozenCompressorIsCached()
    {
        using var backend = new CpuBackend(1);
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), backend);
        FrozenDocumentMemories? CacheOf(TrainingStage stage, TrainingOptions options)
        {
            using var objective = TrainingObjectives.Create(clara, stage, options);
            return ((ClaraStageObjective)objective).FrozenMemories;
        }
        Assert.That(CacheOf(TrainingStage.Instruct, new()), Is.Not.Null, "instruct");
        Assert.That(CacheOf(TrainingStage.E2e, new()), Is.Not.Null, "e2e");
        Assert.That(CacheOf(TrainingStage.Rank, new()), Is.Not.Null, "rank of the query reasoner");
        Assert.That(CacheOf(TrainingStage.Rank, new() { TrainableAdapters = [ClaraModel.QueryAdapter, ClaraModel.EncoderAdapter] }), Is.Null,
            "rank with the compressor: its gradient needs the documents in the graph");
        Assert.That(CacheOf(TrainingStage.Instruct, new() { TrainableAdapters = [ClaraModel.DecoderAdapter, ClaraModel.EncoderAdapter] }), Is.Null,
            "instruct with the compressor");
        Assert.That(CacheOf(TrainingStage.Scp, new()), Is.Null, "scp trains the compressor");
        Assert.That(CacheOf(TrainingStage.ScpRank, new()), Is.Null, "scp-rank trains the compressor");
        Assert.That(CacheOf(TrainingStage.E2e, new() { MemoryCacheMegabytes = 0 }), Is.Null, "switched off");
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingObjectives.Create(clara, TrainingStage.E2e, new() { MemoryCacheMegabytes = -1 }));
    }

    /// <summary>Once full, the cache keeps what it has and compresses the rest again each time, with the same values.</summary>
    [Test]
    public void AFullCacheStillAnswersEveryDocument()
    {
        using var backend = new CpuBackend(1);
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), backend);
        using var objective = TrainingObjectives.Create(clara, TrainingStage.E2e);
        var store = objective.Parameters;
        int perDocument = clara.Config.MemoryTokens * clara.Decoder.Config.HiddenSize * sizeof(float);
        var examples = PretokenizedExamples.Read(StageGradientOracleSuite.DataFile("clara-distinct", "e2e"), TrainingStage.E2e).Cast<E2eExample>();
        var documents = examples.SelectMany(e => e.Docs).ToList();
        int distinct = documents.Select(d => string.Join(',', d)).Distinct().Count();
        Assert.That(distinct, Is.GreaterThan(1), "the fixture needs two documents at least");

        using var roomy = new FrozenDocumentMemories(clara, store, long.MaxValue);
        using var roomForOne = new FrozenDocumentMemories(clara, store, perDocument);
        var expected = roomy.For(documents);
        Assert.That(roomForOne.For(documents), Is.EqualTo(expected), "first pass");
        Assert.That(roomForOne.For(documents), Is.EqualTo(expected), "second pass");
        Assert.That(roomForOne.Compressed, Is.EqualTo(distinct + distinct - 1), "all but the one kept document are compressed twice");
        Assert.That(roomy.For(documents.AsEnumerable().Reverse().ToList()), Is.EqualTo(Reversed(expected, documents.Count)), "another order");
        Assert.That(roomy.Compressed, Is.EqualTo(distinct));
    }

    private static float[] Reversed(float[] memories, int documents)
    {
        int size = memories.Length / documents;
        return Enumerable.Range(0, documents).Reverse().SelectMany(d => memories.Skip(d * size).Take(size)).ToArray();
    }

    private static (float Loss, Dictionary<string, float[]> Gradients) Gradients(ITrainingObjective objective, IReadOnlyList<TrainingExample> batch)
    {
        objective.Parameters.ZeroGradients();
        float loss = objective.AccumulateGradients(batch);
        return (loss, objective.Parameters.Parameters.ToDictionary(p => p.Name, p => p.Gradient.ToFloatArray()));
    }
}
