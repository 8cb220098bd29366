using Clara.Convert.Inputs;
using Clara.Convert.Model;
using NUnit.Framework;

namespace Clara.Engine.Tests.Convert;

public class EngineNamesTests
{
    [TestCase("model.layers.3.self_attn.o_proj.weight", "layers.3.wo")]
    [TestCase("model.layers.0.post_attention_layernorm.weight", "layers.0.mlp_norm")]
    [TestCase("base_model.model.model.embed_tokens.weight", "tok_embeddings")]
    [TestCase("base_model.model.lm_head.weight", "lm_head")]
    public void HfNamesMapToEngineNames(string hf, string engine) =>
        Assert.That(EngineNames.TryMapBase(hf)?.EngineName, Is.EqualTo(engine));

    [TestCase("model.layers.0.self_attn.q_proj.bias")]
    [TestCase("model.layers.0.self_attn.rotary_emb.inv_freq")]
    [TestCase("transformer.h.0.attn.c_attn.weight")]
    public void OtherNamesDoNotMap(string hf) => Assert.That(EngineNames.TryMapBase(hf), Is.Null);

    [Test]
    public void EveryEngineBaseNameMapsBackToItsHfName()
    {
        var config = HfModelConfig.Load(Fixtures.File("config.json"));
        foreach (var (name, _) in ModelLayout.BaseTensors(config, config.VocabSize))
            Assert.That(EngineNames.TryMapBase(EngineNames.HfBaseName(name))?.EngineName, Is.EqualTo(name));
    }

    [TestCase("base_model.model.model.layers.2.mlp.down_proj.lora_B.weight", 2, Projection.WDown, false, null)]
    [TestCase("model.layers.0.self_attn.k_proj.lora_A.weight", 0, Projection.Wk, true, null)]
    [TestCase("base_model.model.model.layers.1.self_attn.v_proj.lora_A.decoder_adapter.weight", 1, Projection.Wv, true, "decoder_adapter")]
    public void LoraNamesInTheirThreeFormsMap(string name, int layer, Projection projection, bool isA, string? segment) =>
        Assert.That(EngineNames.TryMapLora(name), Is.EqualTo(new LoraTensorId(layer, projection, isA, segment)));

    [Test]
    public void NamedInputsSplitOnlyWhenThePrefixIsAName()
    {
        Assert.That(InputSpec.Parse("encoder_adapter=/data/peft"), Is.EqualTo(new InputSpec("/data/peft", "encoder_adapter")));
        Assert.That(InputSpec.Parse("/data/a=b/peft"), Is.EqualTo(new InputSpec("/data/a=b/peft")));
    }
}
