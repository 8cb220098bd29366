using Clara.Engine.Tensors;
using NUnit.Framework;
using Clara.Convert.Pickle;
using Clara.Convert.Torch;

namespace Clara.Engine.Tests.Convert;

public class TorchPickleTests
{
    private static byte[] ReadAll(TorchCheckpointFile file, TorchNamedTensor t)
    {
        using var stream = TorchTensorData.OpenRowMajor(file, t.Name, t.Tensor);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [TestCase("model.pth")]
    [TestCase("model-legacy.pth")]
    [TestCase("model-protocol4.pth")]
    public void StateDictMatchesTheSafetensorsPyTorchWrote(string file)
    {
        var expected = ReferenceSafetensors.Read(Fixtures.File("hf-single", "model.safetensors"));
        using var checkpoint = TorchCheckpointFile.Open(Fixtures.File(file));
        var stateDict = TorchStateDicts.From(checkpoint).Single!;

        Assert.That(stateDict.Select(t => t.Name), Is.EqualTo(expected.Keys), "names, in file order");
        foreach (var t in stateDict)
        {
            Assert.That(t.Tensor.DType.SafetensorsName(), Is.EqualTo(expected[t.Name].DType), t.Name);
            Assert.That(t.Tensor.Size, Is.EqualTo(expected[t.Name].Shape), t.Name);
            Assert.That(ReadAll(checkpoint, t), Is.EqualTo(expected[t.Name].Bytes), t.Name);
        }
    }

    [Test]
    public void ViewsOfOneStorageIncludingStridedOnesComeOutRowMajor()
    {
        var expected = ReferenceSafetensors.Read(Fixtures.Expected("views.safetensors"));
        using var checkpoint = TorchCheckpointFile.Open(Fixtures.File("views.pth"));
        var views = TorchStateDicts.From(checkpoint).Single!;

        Assert.That(views.Select(v => v.Tensor.Storage).Distinct().Count(), Is.EqualTo(1), "all views share one storage");
        Assert.That(views.Single(v => v.Name == "transposed").Tensor.IsContiguous, Is.False);
        foreach (var v in views)
        {
            Assert.That(v.Tensor.Size, Is.EqualTo(expected[v.Name].Shape), v.Name);
            Assert.That(ReadAll(checkpoint, v), Is.EqualTo(expected[v.Name].Bytes), v.Name);
        }
    }

    [Test]
    public void ClaraReleaseAdaptersFileIsReadAsNamedStateDicts()
    {
        using var checkpoint = TorchCheckpointFile.Open(Fixtures.File("clara-release", "adapters.pth"));
        var dicts = TorchStateDicts.From(checkpoint);

        Assert.That(dicts.Single, Is.Null);
        Assert.That(dicts.Nested!.Keys, Is.EqualTo(new[] { "encoder_adapter", "query_reasoner_adapter", "decoder_adapter" }));
        // 2 layers x 7 projections x (A, B).
        Assert.That(dicts.Nested.Values.Select(d => d.Count), Is.All.EqualTo(28));
        Assert.That(dicts.Nested["decoder_adapter"][0].Name, Is.EqualTo("model.layers.0.self_attn.q_proj.lora_A.weight"));
    }

    [Test]
    public void EveryMaliciousGlobalIsRefusedByName()
    {
        var malicious = Fixtures.Facts.GetProperty("malicious_globals").EnumerateObject().ToList();
        Assert.That(malicious, Has.Count.GreaterThanOrEqualTo(5));
        foreach (var entry in malicious)
        {
            var e = Assert.Throws<PickleSecurityException>(() => TorchCheckpointFile.Open(Fixtures.File(entry.Name)).Dispose(), entry.Name);
            Assert.That(e!.GlobalName, Is.EqualTo(entry.Value.GetString()), entry.Name);
            Assert.That(e.Message, Does.Contain($"'{entry.Value.GetString()}'").And.Contain(entry.Name));
        }
    }

    [Test]
    public void TensorReachingPastItsStorageIsRefusedByName()
    {
        using var checkpoint = TorchCheckpointFile.Open(Fixtures.File("tensor_out_of_bounds.pth"));
        var e = Assert.Throws<InvalidDataException>(() => TorchStateDicts.From(checkpoint));
        Assert.That(e!.Message, Does.Contain("'model.norm.weight'").And.Contain("reaches element 100").And.Contain("only 24"));
    }

    [TestCase("truncated.pth", TorchFileKind.TruncatedZip, "truncated")]
    [TestCase("lfs-pointer.safetensors", TorchFileKind.GitLfsPointer, "Git LFS pointer")]
    [TestCase("not-a-checkpoint.bin", TorchFileKind.Other, "neither a zip")]
    public void NonCheckpointsAreRecognisedAndRefused(string file, TorchFileKind kind, string message)
    {
        Assert.That(TorchFileSniffer.Sniff(Fixtures.File(file)), Is.EqualTo(kind));
        var e = Assert.Throws<InvalidDataException>(() => TorchCheckpointFile.Open(Fixtures.File(file)));
        Assert.That(e!.Message, Does.Contain(message).And.Contain(file));
    }
}
