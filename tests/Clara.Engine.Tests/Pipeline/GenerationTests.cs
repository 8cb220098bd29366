using Clara.Engine.IO.Safetensors;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Pipeline;

/// <summary>Decoding options beyond greedy: sampling, nucleus, seeds, stop tokens, streaming and cancellation.</summary>
public class GenerationTests
{
    [Test]
    public void SamplingFollowsTheSoftmaxDistribution()
    {
        // p ∝ exp(logit / T): logits ln1, ln2, ln4 at T = 1 give 1/7, 2/7, 4/7.
        float[] logits = [0f, MathF.Log(2), MathF.Log(4)];
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 1f, Seed = 11 });
        var counts = new int[3];
        const int draws = 14000;
        for (int i = 0; i < draws; i++) counts[sampler.Next(logits)]++;
        double[] expected = [1 / 7.0, 2 / 7.0, 4 / 7.0];
        for (int t = 0; t < 3; t++)
        {
            double sigma = Math.Sqrt(draws * expected[t] * (1 - expected[t]));
            Assert.That(counts[t], Is.EqualTo(draws * expected[t]).Within(4 * sigma), $"token {t}");
        }
    }

    [Test]
    public void TemperatureSharpensTheDistribution()
    {
        float[] logits = [0f, MathF.Log(2)];
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 0.5f, Seed = 3 });
        int ones = Enumerable.Range(0, 10000).Count(_ => sampler.Next(logits) == 1);
        // exp(2·ln2) = 4: p(1) = 4/5 at T = 0.5.
        Assert.That(ones, Is.EqualTo(8000).Within(4 * Math.Sqrt(10000 * 0.8 * 0.2)));
    }

    [Test]
    public void NucleusKeepsOnlyTheSmallestSetReachingTopP()
    {
        float[] logits = [MathF.Log(5), MathF.Log(3), MathF.Log(2)]; // 0.5, 0.3, 0.2
        var sampler = new TokenSampler(new GenerationOptions { Temperature = 1f, TopP = 0.75f, Seed = 5 });
        var seen = Enumerable.Range(0, 4000).Select(_ => sampler.Next(logits)).ToHashSet();
        Assert.That(seen, Is.EquivalentTo(new[] { 0, 1 }), "0.5 + 0.3 reaches 0.75; the 0.2 token is cut");
    }

    [Test]
    public void SameSeedSameAnswerAndGreedyIsTheArgmax()
    {
        using var model = ClaraModel.Load(Fixtures.Clara("clara-distinct"));
        using var reference = SafetensorsFile.Open(Fixtures.Reference("clara-distinct"));
        var docs = model.Compress(ClaraOracleSuite.Documents(reference));
        var question = reference.ReadAsInt32("question.ids");
        var sampled = new GenerationOptions { MaxNewTokens = 8, Temperature = 1.5f, Seed = 42 };
        var a = model.Ask(question, docs, sampled).AnswerIds;
        var b = model.Ask(question, docs, sampled).AnswerIds;
        Assert.That(b, Is.EqualTo(a));
        var nearlyGreedy = model.Ask(question, docs, sampled with { TopP = 1e-6f }).AnswerIds;
        var greedy = model.Ask(question, docs, new GenerationOptions { MaxNewTokens = 8 }).AnswerIds;
        Assert.That(nearlyGreedy, Is.EqualTo(greedy), "a nucleus of one token is the argmax");
    }

    [Test]
    public void StopTokensEndTheAnswerAndStreamingSeesEveryToken()
    {
        using var model = ClaraModel.Load(Fixtures.Clara("clara-repeated"));
        using var reference = SafetensorsFile.Open(Fixtures.Reference("clara-repeated"));
        var docs = model.Compress(ClaraOracleSuite.Documents(reference));
        var question = reference.ReadAsInt32("question.ids");
        var prompt = reference.ReadAsInt32("prompt.ids");
        var full = reference.ReadAsInt32("answer.ids");
        Assert.That(full.Length, Is.GreaterThan(3), "fixture answer long enough to cut");
        var streamed = new List<int>();
        var cut = model.Ask(question, docs, new GenerationOptions { MaxNewTokens = 8, StopTokens = [full[2]] }, promptIds: prompt,
            onToken: (_, token) => streamed.Add(token)).AnswerIds;
        Assert.That(cut, Is.EqualTo(full[..3]), "generation stops after emitting the stop token");
        Assert.That(streamed, Is.EqualTo(cut));
        var limited = model.Ask(question, docs, new GenerationOptions { MaxNewTokens = 2 }, promptIds: prompt).AnswerIds;
        Assert.That(limited, Is.EqualTo(full[..2]));
    }

    [Test]
    public void CancellationStopsGeneration()
    {
        using var model = ClaraModel.Load(Fixtures.Clara("clara-distinct"));
        using var reference = SafetensorsFile.Open(Fixtures.Reference("clara-distinct"));
        var docs = model.Compress(ClaraOracleSuite.Documents(reference));
        using var cancel = new CancellationTokenSource();
        int tokens = 0;
        Assert.That(() => model.Ask(reference.ReadAsInt32("question.ids"), docs, new GenerationOptions { MaxNewTokens = 8 },
                onToken: (_, _) => { if (++tokens == 2) cancel.Cancel(); }, cancellation: cancel.Token),
            Throws.InstanceOf<OperationCanceledException>());
        Assert.That(tokens, Is.EqualTo(2));
    }

    [Test]
    public void PromptLongerThanTheContextIsRefused()
    {
        using var model = ClaraModel.Load(Fixtures.Clara("clara-distinct"));
        var docs = model.Compress([[5, 6, 7], [8, 9]]);
        var tooLong = Enumerable.Repeat(5, model.Decoder.Config.MaxPositionEmbeddings).ToArray();
        Assert.That(() => model.Ask([5, 6], docs, new GenerationOptions { MaxNewTokens = 4 }, promptIds: [.. MemoryPrompt.Slots(model.Config, 2), .. tooLong]),
            Throws.TypeOf<InvalidInputException>().With.Message.Contains("exceeds the model's context"));
    }

    [Test]
    public void InvalidOptionsAreRefused()
    {
        Assert.That(() => new GenerationOptions { TopP = 0 }.Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new GenerationOptions { Temperature = -1 }.Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new GenerationOptions { MaxNewTokens = 0 }.Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
