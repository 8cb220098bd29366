using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Models;

/// <summary>Broken checkpoints are refused with errors that name the file and every bad tensor.</summary>
public class LoaderErrorTests
{
    private string _dir = null!;

    [SetUp]
    public void CopyFixture()
    {
        _dir = Path.Combine(Path.GetTempPath(), "clara-loader-" + Guid.NewGuid().ToString("N"));
        DirectoryCopy.Copy(Fixtures.Clara("clara-distinct"), _dir);
    }

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    /// <summary>Rewrites a safetensors file through <paramref name="edit"/> (name, dtype, shape, bytes) → replacement or null to drop.</summary>
    private static void Rewrite(string path, Func<string, DType, Shape, byte[], (string, DType, Shape, byte[])?> edit, params (string, Shape)[] extra)
    {
        var tensors = new List<TensorToWrite>();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var e in file.Tensors)
            {
                var replaced = edit(e.Name, e.DType, e.Shape, file.GetBytes(e).ToArray());
                if (replaced is var (n, d, s, b)) tensors.Add(TensorToWrite.FromBytes(n, d, s, b));
            }
        }
        foreach (var (name, shape) in extra)
            tensors.Add(TensorToWrite.FromFloat32(name, shape, new float[shape.ElementCount]));
        SafetensorsWriter.Write(path, tensors);
    }

    private string Weights => Path.Combine(_dir, "model.safetensors");

    [Test]
    public void EveryMissingAndMisShapedTensorIsNamed()
    {
        Rewrite(Weights, (name, dtype, shape, bytes) => name switch
        {
            "model.layers.1.mlp.up_proj.weight" => null,
            "model.norm.weight" => (name, dtype, new Shape(shape[0] - 1), bytes[..^4]),
            _ => (name, dtype, shape, bytes),
        }, ("model.layers.9.self_attn.q_proj.weight", new Shape(2, 2)));
        var error = Assert.Throws<InvalidDataException>(() => DecoderModel.Load(_dir).Dispose())!;
        Assert.That(error.Message, Does.Contain(_dir));
        Assert.That(error.Message, Does.Contain("missing tensor model.layers.1.mlp.up_proj.weight"));
        Assert.That(error.Message, Does.Contain("tensor model.norm.weight has shape [36], expected [37]"));
        Assert.That(error.Message, Does.Contain("unexpected tensor model.layers.9.self_attn.q_proj.weight"));
        Assert.That(error.Message, Does.Contain("3 problem(s)"));
    }

    [Test]
    public void IntegerWeightsAreRefused()
    {
        Rewrite(Weights, (name, dtype, shape, bytes) => name == "model.norm.weight" ? (name, DType.I32, shape, bytes) : (name, dtype, shape, bytes));
        Assert.That(() => DecoderModel.Load(_dir).Dispose(),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("model.norm.weight is I32"));
    }

    [Test]
    public void AdapterWithWrongRankNamesTheTensor()
    {
        var adapter = Path.Combine(_dir, "adapters", "decoder_adapter", "adapter_model.safetensors");
        const string victim = "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight";
        Rewrite(adapter, (name, dtype, shape, bytes) => name == victim ? (name, dtype, new Shape(shape[0], 2), bytes[..(shape[0] * 2 * 4)]) : (name, dtype, shape, bytes));
        Assert.That(() => DecoderModel.Load(_dir).Dispose(),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains(victim).And.Message.Contains("expected [20, 4]"));
    }

    [Test]
    public void AdapterKeysWithAnAdapterNameInsideAreRefused()
    {
        var adapter = Path.Combine(_dir, "adapters", "encoder_adapter", "adapter_model.safetensors");
        Rewrite(adapter, (name, dtype, shape, bytes) => (name.Replace("lora_A.weight", "lora_A.default.weight"), dtype, shape, bytes));
        Assert.That(() => DecoderModel.Load(_dir).Dispose(),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("unexpected tensor").And.Message.Contains("lora_A.default.weight"));
    }

    [Test]
    public void MissingAdapterFolderIsNamed()
    {
        Directory.Delete(Path.Combine(_dir, "adapters", "query_reasoner_adapter"), recursive: true);
        Assert.That(() => ClaraModel.Load(_dir).Dispose(),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("adapters/query_reasoner_adapter"));
    }

    [Test]
    public void ClaraJsonOutsideTheVocabularyIsRefused()
    {
        var path = Path.Combine(_dir, "clara.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"sep_token_id\": 136", "\"sep_token_id\": 500"));
        Assert.That(() => ClaraModel.Load(_dir).Dispose(),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("sep_token_id = 500").And.Message.Contains("vocabulary of 138"));
    }

    [Test]
    public void ClaraJsonWithTheWrongNumberOfMemoryTokensIsRefused()
    {
        var path = Path.Combine(_dir, "clara.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"compression_rate\": 4", "\"compression_rate\": 3"));
        Assert.That(() => ClaraModel.Load(_dir).Dispose(),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("mem_token_ids holds 3 ids but doc_max_length / compression_rate = 4"));
    }

    [Test]
    public void UnsupportedConfigIsExplained()
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"model_type\": \"mistral\"", "\"model_type\": \"gpt2\""));
        Assert.That(() => DecoderModel.Load(_dir).Dispose(),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("model_type 'gpt2' is not supported"));
    }

    [Test]
    public void GitLfsPointerInsteadOfWeightsIsNamed()
    {
        File.WriteAllText(Weights, "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n");
        Assert.That(() => DecoderModel.Load(_dir).Dispose(),
            Throws.InstanceOf<IOException>().With.Message.Contains("Git LFS pointer"));
    }
}
