using Clara.Engine.AI;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Clara.Engine.Tests.Concurrency;

/// <summary><see cref="ClaraQueryEmbeddingGenerator"/>: the query reasoner's vectors, alone and shared by concurrent callers.</summary>
[NonParallelizable]
public class QueryEmbeddingGeneratorTests
{
    private SharedClara _clara = null!;
    private ClaraQueryEmbeddingGenerator _generator = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _clara = new SharedClara();
        _generator = new ClaraQueryEmbeddingGenerator(_clara.Model);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _generator.Dispose();
        _clara.Dispose();
    }

    [Test]
    public async Task EachTextBecomesItsQueryVector()
    {
        var embeddings = await _generator.GenerateAsync(SharedClara.Questions);
        Assert.That(embeddings, Has.Count.EqualTo(SharedClara.Questions.Length));
        int dimensions = _clara.Model.Config.MemoryTokens * _clara.Model.Decoder.Config.HiddenSize;
        for (int i = 0; i < embeddings.Count; i++)
        {
            var expected = _clara.Model.EncodeQuery(_clara.Model.Encode(SharedClara.Questions[i]));
            Assert.That(Bits.Same(embeddings[i].Vector.ToArray(), expected), $"text {i}");
            Assert.That(embeddings[i].Vector.Length, Is.EqualTo(dimensions));
            Assert.That(embeddings[i].ModelId, Is.EqualTo(_clara.Model.Decoder.Source));
        }
        var metadata = _generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.That(metadata?.DefaultModelDimensions, Is.EqualTo(dimensions));
    }

    [Test]
    public async Task VectorsComeBackInTheOrderOfTheTexts()
    {
        // Reversed, with a repeat: encoded together, each vector still lands at its own text's position.
        string[] texts = [.. Enumerable.Reverse(SharedClara.Questions), SharedClara.Questions[0]];
        var embeddings = await _generator.GenerateAsync(texts);
        Assert.That(embeddings, Has.Count.EqualTo(texts.Length));
        for (int i = 0; i < texts.Length; i++)
            Assert.That(Bits.Same(embeddings[i].Vector.ToArray(), _clara.Model.EncodeQuery(_clara.Model.Encode(texts[i]))), $"text {i}: {texts[i]}");
        Assert.That(embeddings[0].Vector.ToArray(), Is.Not.EqualTo(embeddings[1].Vector.ToArray()), "different questions, different vectors");
    }

    [Test]
    public async Task VectorsRankTheirOwnDocumentsLikeTheModel()
    {
        var vector = (await _generator.GenerateAsync([SharedClara.Questions[0]]))[0].Vector.ToArray();
        Assert.That(_clara.Model.Score(vector, _clara.Candidates), Is.EqualTo(_clara.Ask(0).Scores));
    }

    [Test]
    public async Task ConcurrentCallersGetTheVectorsOfSequentialCalls()
    {
        const int Callers = 8;
        string[] Texts(int caller) => [.. SharedClara.Questions.Skip(caller % 3), SharedClara.Questions[caller % 5]];
        var expected = new List<float[]>[Callers];
        for (int c = 0; c < Callers; c++) expected[c] = (await _generator.GenerateAsync(Texts(c))).Select(e => e.Vector.ToArray()).ToList();
        var actual = await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(() => _generator.GenerateAsync(Texts(c)))));
        for (int c = 0; c < Callers; c++)
        {
            Assert.That(actual[c], Has.Count.EqualTo(expected[c].Count));
            for (int i = 0; i < expected[c].Count; i++)
                Assert.That(Bits.Same(actual[c][i].Vector.ToArray(), expected[c][i]), $"caller {c}, text {i}");
        }
    }

    [Test]
    public void ACancelledCallThrows()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.That(async () => await _generator.GenerateAsync(SharedClara.Questions, cancellationToken: cancel.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void TextWithoutATokenizerIsRefused()
    {
        using var model = Clara.Engine.Pipeline.ClaraModel.Load(Support.Fixtures.Clara("clara-distinct"));
        using var generator = new ClaraQueryEmbeddingGenerator(model);
        Assert.That(async () => await generator.GenerateAsync(["a question"]),
            Throws.InvalidOperationException.With.Message.Contains("no tokenizer"));
    }
}
