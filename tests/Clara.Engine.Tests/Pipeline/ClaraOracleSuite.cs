using Clara.Engine.Backends;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Pipeline;

/// <summary>
/// Every CLaRa stage against the PyTorch oracle (tests/oracle/clara.py): encoder layout, compression and alignment
/// loss, query vector, cosine scores, top-k, spliced generator inputs and logits, greedy answers alone and batched.
/// Instantiated per backend.
/// </summary>
public abstract class ClaraOracleSuite : BackendSuite
{
    /// <summary>
    /// fp32 throughout: max |ours − PyTorch| relative to the tensor's largest entry (Compare.AssertClose). Measured on
    /// the CPU: 3.7e-7 (README, Accuracy), so 1e-5 leaves a margin of ~27 and still fails on any real slip.
    /// </summary>
    internal const double Tolerance = 1e-5;

    /// <summary>
    /// For the outputs whose every entry is read on its own (per-document alignment losses, cosine scores: a score near
    /// zero still decides a ranking), also each entry: |ours − PyTorch| ≤ 1e-5·|entry| + 1e-6·max (Compare.AssertElementwiseClose).
    /// The 1e-6·max floor sits above the 3.7e-7·max measured, yet is 10× tighter than the max-relative check for small entries.
    /// </summary>
    internal const double ElementwiseOfMax = 1e-6;

    public static readonly string[] Configs = ["clara-distinct", "clara-repeated"];


    private ClaraModel Load(string config) => ClaraModel.Load(Fixtures.Clara(config), Backend);

    internal static List<IReadOnlyList<int>> Documents(SafetensorsFile reference)
    {
        var ids = reference.ReadAsInt32("docs.ids");
        var lengths = reference.ReadAsInt32("docs.lengths");
        int width = reference["docs.ids"].Shape[1];
        return lengths.Select((n, i) => (IReadOnlyList<int>)ids.AsSpan(i * width, n).ToArray()).ToList();
    }

    internal static int[] Unpadded(int[] row) => row.Where(id => id >= 0).ToArray();

    [TestCaseSource(nameof(Configs))]
    public void EncoderLayoutIsExact(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var (ids, mask, positions) = new EncoderLayout(model.Config).Build(Documents(reference));
        Assert.That(ids, Is.EqualTo(reference.ReadAsInt32("enc.input_ids")));
        Assert.That(mask, Is.EqualTo(reference.ReadAsInt32("enc.mask")));
        Assert.That(positions.Take(model.Config.EncoderLength), Is.EqualTo(Enumerable.Range(0, model.Config.EncoderLength)));
        var (qIds, qMask, _) = new EncoderLayout(model.Config).Build([reference.ReadAsInt32("question.ids")]);
        Assert.That(qIds, Is.EqualTo(reference.ReadAsInt32("query.input_ids")));
        Assert.That(qMask, Is.EqualTo(reference.ReadAsInt32("query.mask")));
    }

    [Test]
    public void CompressionMatchesOracle([ValueSource(nameof(Configs))] string config, [Values(1, 2, 5)] int batchSize)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var compressed = model.Compress(Documents(reference), batchSize);
        Compare.AssertClose(compressed.Memory, reference.ReadAsFloat32("memory"), Tolerance, $"{config} memory (batch {batchSize})");
        Compare.AssertClose(compressed.Mse, reference.ReadAsFloat32("mse"), Tolerance, $"{config} mse (batch {batchSize})");
        Compare.AssertElementwiseClose(compressed.Mse, reference.ReadAsFloat32("mse"), Tolerance, ElementwiseOfMax, $"{config} mse (batch {batchSize})");
    }

    [TestCaseSource(nameof(Configs))]
    public void QueryScoresAndTopKMatchOracle(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var query = model.EncodeQuery(reference.ReadAsInt32("question.ids"));
        Compare.AssertClose(query, reference.ReadAsFloat32("query"), Tolerance, $"{config} query");
        var scores = model.Score(query, model.Compress(Documents(reference)));
        Compare.AssertClose(scores, reference.ReadAsFloat32("scores"), Tolerance, $"{config} scores");
        Compare.AssertElementwiseClose(scores, reference.ReadAsFloat32("scores"), Tolerance, ElementwiseOfMax, $"{config} scores");
        Assert.That(model.SelectTopK(scores).Select(i => (long)i), Is.EqualTo(reference.ReadAsInt64("topk")));
    }

    [TestCaseSource(nameof(Configs))]
    public void SplicedInputsAndLogitsMatchOracle(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var documents = model.Compress(Documents(reference));
        var topk = reference.ReadAsInt64("topk").Select(i => (int)i).ToArray();
        var prompt = reference.ReadAsInt32("prompt.ids");
        var starts = MemoryPrompt.SlotStarts(prompt, model.Config.MemTokenIds);
        Assert.That(starts, Has.Length.EqualTo(topk.Length));
        int nMem = model.Config.MemoryTokens;
        var rows = starts.SelectMany(s => Enumerable.Range(s, nMem)).ToArray();
        var values = topk.SelectMany(d => documents.Document(d).ToArray()).ToArray();
        using var cache = model.Decoder.CreateCache(1, prompt.Length);
        var outputs = model.Decoder.Forward(cache, new ForwardInputs(1, prompt.Length, prompt, Ones(prompt.Length), Enumerable.Range(0, prompt.Length).ToArray())
        {
            SpliceRows = rows,
            SpliceValues = values,
            Trace = true,
        }, ClaraModel.DecoderAdapter);
        Compare.AssertClose(outputs.Trace["hidden.embed"], reference.ReadAsFloat32("gen.inputs_embeds"), Tolerance, $"{config} spliced embeddings");
        Compare.AssertClose(outputs.Logits!, reference.ReadAsFloat32("gen.logits"), Tolerance, $"{config} generator logits");
    }

    [TestCaseSource(nameof(Configs))]
    public void GreedyAnswerIsIdentical(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var documents = model.Compress(Documents(reference));
        var answer = model.Ask(reference.ReadAsInt32("question.ids"), documents, new GenerationOptions { MaxNewTokens = 8 },
            promptIds: reference.ReadAsInt32("prompt.ids"));
        Assert.That(answer.TopK.Select(i => (long)i), Is.EqualTo(reference.ReadAsInt64("topk")));
        Assert.That(answer.AnswerIds, Is.EqualTo(reference.ReadAsInt32("answer.ids")));
    }

    [TestCaseSource(nameof(Configs))]
    public void BatchedAnswersAreIdentical(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var documents = model.Compress(Documents(reference));
        var promptEntry = reference["batch.prompt.ids"];
        int batch = promptEntry.Shape[0], width = promptEntry.Shape[1], k = reference["batch.topk"].Shape[1];
        var prompts = reference.ReadAsInt32("batch.prompt.ids");
        var mask = reference.ReadAsInt32("batch.prompt.mask");
        var topk = reference.ReadAsInt64("batch.topk");
        var requests = Enumerable.Range(0, batch).Select(b =>
            ((IReadOnlyList<int>)Enumerable.Range(0, width).Where(t => mask[b * width + t] != 0).Select(t => prompts[b * width + t]).ToArray(),
             Enumerable.Range(0, k).Select(j => (int)topk[b * k + j]).ToArray())).ToList();
        var answers = model.Generate(requests, documents, new GenerationOptions { MaxNewTokens = 8 });
        var expected = reference.ReadAsInt32("batch.answer.ids");
        int maxNew = reference["batch.answer.ids"].Shape[1];
        for (int b = 0; b < batch; b++)
            Assert.That(answers[b], Is.EqualTo(Unpadded(expected.AsSpan(b * maxNew, maxNew).ToArray())), $"row {b}");
    }

    [Test]
    public void PromptWithTooFewSlotsIsRejected()
    {
        using var model = Load("clara-distinct");
        using var reference = SafetensorsFile.Open(Fixtures.Reference("clara-distinct"));
        var documents = model.Compress(Documents(reference).Take(3).ToList());
        Assert.That(() => model.Generate([([1, 5, 6], [0, 1])], documents, new GenerationOptions { MaxNewTokens = 2 }),
            Throws.TypeOf<InvalidInputException>().With.Message.Contains("has 0 memory slots but 2 documents"));
    }

    [Test]
    public void KLargerThanCandidatesIsRejected()
    {
        using var model = Load("clara-distinct");
        Assert.That(() => model.SelectTopK([0.1f, 0.2f], k: 3), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("exceeds the 2 candidate"));
    }

    private static int[] Ones(int n) => Enumerable.Repeat(1, n).ToArray();
}

[TestFixture]
public sealed class CpuClaraOracleTests : ClaraOracleSuite
{
    protected override IBackend CreateBackend() => new Clara.Engine.Backends.Cpu.CpuBackend();
}
