using Clara.Engine.Models;
using NUnit.Framework;

namespace Clara.Engine.Tests.Models;

/// <summary>The one definition of tensor names: HF / PEFT names in their forms in the wild map to engine names and back.</summary>
public class WeightNamesTests
{
    [TestCase("model.layers.3.self_attn.o_proj.weight", "layers.3.wo")]
    [TestCase("model.layers.0.post_attention_layernorm.weight", "layers.0.mlp_norm")]
    [TestCase("base_model.model.model.embed_tokens.weight", "tok_embeddings")]
    [TestCase("base_model.model.lm_head.weight", "lm_head")]
    public void HfNamesMapToEngineNames(string hf, string engine) =>
        Assert.That(WeightNames.TryMapHfBase(hf)?.EngineName, Is.EqualTo(engine));

    [TestCase("model.layers.0.self_attn.q_proj.bias")]
    [TestCase("model.layers.0.self_attn.rotary_emb.inv_freq")]
    [TestCase("transformer.h.0.attn.c_attn.weight")]
    [TestCase("model.layers.99999999999.self_attn.q_proj.weight")]
    public void OtherNamesDoNotMap(string hf) => Assert.That(WeightNames.TryMapHfBase(hf), Is.Null);

    [Test]
    public void EveryEngineBaseNameMapsBackToItsHfName()
    {
        var config = ModelConfig.Load(Path.Combine(Convert.Fixtures.Root, "config.json"));
        var names = WeightLayout.BaseTensors(config, config.VocabSize).Select(t => t.Name).ToList();
        Assert.That(names, Has.Count.EqualTo(config.Layers * WeightLayout.TensorsPerLayer + (config.TieWordEmbeddings ? 2 : 3)));
        foreach (var name in names)
            Assert.That(WeightNames.TryMapHfBase(WeightNames.HfBaseName(name))?.EngineName, Is.EqualTo(name));
        Assert.That(() => WeightNames.HfBaseName("layers.0.w_nothing"), Throws.ArgumentException);
    }

    [TestCase("base_model.model.model.layers.2.mlp.down_proj.lora_B.weight", 2, LinearSlot.Down, false, null)]
    [TestCase("model.layers.0.self_attn.k_proj.lora_A.weight", 0, LinearSlot.K, true, null)]
    [TestCase("base_model.model.model.layers.1.self_attn.v_proj.lora_A.decoder_adapter.weight", 1, LinearSlot.V, true, "decoder_adapter")]
    public void LoraNamesInTheirThreeFormsMap(string name, int layer, LinearSlot slot, bool isA, string? segment) =>
        Assert.That(WeightNames.TryMapLora(name), Is.EqualTo(new LoraFactorId(layer, slot, isA, segment)));

    [Test]
    public void EngineLoraNamesParseBackToTheirPeftNames()
    {
        foreach (var slot in LinearSlots.All)
            foreach (char ab in "AB")
            {
                string engine = WeightNames.EngineLora("decoder_adapter", 3, slot, ab);
                var parsed = WeightNames.TryParseEngineLora(engine);
                Assert.That(parsed?.Adapter, Is.EqualTo("decoder_adapter"), engine);
                Assert.That(parsed?.Factor.PeftName, Is.EqualTo(WeightNames.PeftLora(3, slot, ab)), engine);
                Assert.That(WeightNames.TryMapLora(parsed!.Value.Factor.PeftName), Is.EqualTo(parsed.Value.Factor), engine);
            }
        Assert.That(WeightNames.TryParseEngineLora("adapters.x.layers.0.wq.lora_c"), Is.Null);
    }

    [Test]
    public void SlotNamesParseInAllThreeSpellings()
    {
        foreach (var slot in LinearSlots.All)
        {
            Assert.That(LinearSlots.TryParseEngineName(slot.EngineName(), out var e) && e == slot, slot.ToString());
            Assert.That(LinearSlots.TryParseTargetName(slot.TargetName(), out var t) && t == slot, slot.ToString());
            Assert.That(LinearSlots.TryParseHfModule(slot.HfModule(), out var h) && h == slot, slot.ToString());
        }
        Assert.That(LinearSlots.TryParseTargetName("c_attn", out _), Is.False);
    }
}
