using System.Text.Json;
using Clara.Corpus.Model;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Pipeline;
using NUnit.Framework;

namespace Clara.Engine.Tests.Corpus;

/// <summary>clara-corpus make-model writes a CLaRa directory the engine loads, initialised as PEFT initialises adapters.</summary>
public class InitialModelWriterTests
{
    private static readonly InitialModelShape Shape = new()
    {
        Hidden = 32, Layers = 2, Heads = 4, KvHeads = 2, Intermediate = 48, DocMaxLength = 16, CompressionRate = 2, LoraRank = 4, TopK = 2, Seed = 5,
    };

    private string _dir = null!;

    [OneTimeSetUp]
    public void Write()
    {
        _dir = Path.Combine(Path.GetTempPath(), "clara-initial-" + Guid.NewGuid().ToString("N"));
        InitialModelWriter.Write(DefaultTokenizerOracleTests.Directory, _dir, Shape);
    }

    [OneTimeTearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ClaraJsonHoldsTheTokenizersSpecialIds()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(DefaultTokenizerOracleTests.Directory, "expected.json")));
        var ids = expected.RootElement.GetProperty("special_ids");
        using var clara = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "clara.json")));
        var c = clara.RootElement;
        Assert.That(c.GetProperty("mem_token_ids").EnumerateArray().Select(e => e.GetInt32()),
            Is.EqualTo(Enumerable.Range(0, Shape.MemoryTokens).Select(i => ids.GetProperty($"<MEM{i}>").GetInt32())));
        foreach (var (field, token) in new[] { ("enc_token_id", "<ENC>"), ("sep_token_id", "<SEP>"), ("ae_token_id", "<AE>"), ("pad_token_id", "<PAD>") })
            Assert.That(c.GetProperty(field).GetInt32(), Is.EqualTo(ids.GetProperty(token).GetInt32()), field);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")));
        Assert.That(config.RootElement.GetProperty("vocab_size").GetInt32(), Is.EqualTo(expected.RootElement.GetProperty("pieces").GetInt32()));
    }

    [TestCase(ClaraModel.EncoderAdapter)]
    [TestCase(ClaraModel.QueryAdapter)]
    [TestCase(ClaraModel.DecoderAdapter)]
    public void AdaptersStartAsPeftDoes(string adapter)
    {
        using var file = SafetensorsFile.Open(Path.Combine(_dir, "adapters", adapter, "adapter_model.safetensors"));
        var names = file.Tensors.Select(e => e.Name).ToList();
        Assert.That(names, Has.Count.EqualTo(Shape.Layers * 7 * 2));
        foreach (var name in names)
        {
            var values = file.ReadAsFloat32(name);
            if (name.Contains(".lora_B.", StringComparison.Ordinal))
            {
                Assert.That(values.All(v => v == 0), Is.True, $"{name}: B starts at zero");
                continue;
            }
            // Kaiming-uniform with a = √5: uniform on ±1/√fan_in, so its largest values come near the bound.
            float bound = 1f / MathF.Sqrt(file[name].Shape.Dims[1]);
            Assert.That(values.Max(MathF.Abs), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.9f * bound), $"{name}: A's range");
        }
    }

    [Test]
    public void TheEngineLoadsItAndBothEncodersAgreeWhileBIsZero()
    {
        using var model = ClaraModel.Load(_dir);
        Assert.That(model.Tokenizer, Is.Not.Null);
        var text = model.Encode("Where was Tupo Menbron born?");
        var asDocument = model.Compress([text]).Memory;
        var asQuery = model.EncodeQuery(text);
        Assert.That(asQuery, Is.EqualTo(asDocument), "with B = 0 every adapter is the base model");
        Assert.That(asQuery.Any(v => v != 0), Is.True);
    }
}
