using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Concurrency;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Pipeline;

/// <summary>
/// <see cref="Compressor"/> drops a short text's leading padding (<see cref="EncoderLayout.TrimmedTextLength"/>). The
/// fixtures' rows are too short to trim (L0 ≤ 32), so these tests give the clara-text model 96-token documents
/// (L0 = 99): a short text's memory must equal the untrimmed §2 layout's (the layout the PyTorch oracle checks) within
/// the oracle tolerance, and must have the same bits alone and batched with texts of other lengths.
/// </summary>
public class TrimmedCompressionTests
{
    private DecoderModel _model = null!;
    private ClaraConfig _config = null!;

    [OneTimeSetUp]
    public void Load()
    {
        string directory = Fixtures.Clara("clara-text");
        _model = DecoderModel.Load(directory);
        _config = ClaraConfig.Load(Path.Combine(directory, "clara.json")) with { DocMaxLength = 96 };
    }

    [OneTimeTearDown]
    public void Unload() => _model.Dispose();

    private static IReadOnlyList<int> Text(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(3, 500)).ToArray();
    }

    [TestCase(1)]
    [TestCase(20)]
    [TestCase(61)]
    public void TrimmedLengthCoversTheTextInWholeQuanta(int tokens)
    {
        var layout = new EncoderLayout(_config);
        int trimmed = layout.TrimmedTextLength(Text(tokens, 1));
        Assert.That(trimmed % EncoderLayout.TrimQuantum == 0 || trimmed == _config.EncoderTextLength);
        Assert.That(trimmed, Is.GreaterThanOrEqualTo(tokens + 3).And.LessThan(tokens + 3 + EncoderLayout.TrimQuantum));
        Assert.That(layout.TrimmedTextLength(Text(200, 1)), Is.EqualTo(_config.EncoderTextLength), "a long text is cut to L0, never trimmed");
    }

    [TestCase(5)]
    [TestCase(40)]
    public void AShortTextsMemoryMatchesTheUntrimmedLayout(int tokens)
    {
        var text = Text(tokens, 2);
        var trimmed = new Compressor(_model, _config).Compress([text], ClaraModel.EncoderAdapter);
        var (memory, mse) = Untrimmed(text);
        Compare.AssertClose(trimmed.Memory, memory, ClaraOracleSuite.Tolerance, "memory");
        Assert.That(trimmed.Mse[0], Is.EqualTo(mse).Within(1e-5 * Math.Abs(mse) + 1e-9));
    }

    [Test]
    public void ATextsMemoryHasTheSameBitsAloneAndBatchedWithOtherLengths()
    {
        IReadOnlyList<int>[] texts = [Text(96, 3), Text(7, 4), Text(40, 5), Text(9, 6), Text(70, 7)];
        var compressor = new Compressor(_model, _config);
        var batched = compressor.Compress(texts, ClaraModel.EncoderAdapter, batchSize: 8);
        for (int i = 0; i < texts.Length; i++)
        {
            var alone = compressor.Compress([texts[i]], ClaraModel.EncoderAdapter);
            Assert.That(Bits.Same(batched.Document(i).ToArray(), alone.Memory), $"text {i}'s memory");
            Assert.That(BitConverter.SingleToInt32Bits(batched.Mse[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(alone.Mse[0])), $"text {i}'s mse");
        }
    }

    /// <summary>The §2 row at full length L0 + n_mem (every padded position kept), run as one forward.</summary>
    private (float[] Memory, float Mse) Untrimmed(IReadOnlyList<int> text)
    {
        var (ids, mask, positions) = new EncoderLayout(_config).Build([text]);
        int length = _config.EncoderLength, hidden = _model.Config.HiddenSize, nMem = _config.MemoryTokens;
        using var cache = _model.CreateCache(1, length);
        var states = _model.Forward(cache, new ForwardInputs(1, length, ids, mask, positions) { WantLogits = false }, ClaraModel.EncoderAdapter).Hidden;
        var memory = states.AsSpan(_config.EncoderTextLength * hidden, nMem * hidden).ToArray();
        return (memory, Compressor.AlignmentLoss(states, mask, hidden, _config.EncoderTextLength));
    }
}
