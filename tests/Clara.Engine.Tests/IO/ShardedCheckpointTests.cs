using System.Text.Json;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.IO;

public class ShardedCheckpointTests
{
    private TempDirectory _dir = null!;
    private string _model = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _model = Path.Combine(_dir.Path, "model");
        Directory.CreateDirectory(_model);
    }

    [TearDown] public void TearDown() => _dir.Dispose();

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextSingle()).ToArray();
    }

    private void WriteShard(string relativePath, params (string Name, float[] Values)[] tensors)
    {
        string path = Path.Combine(_model, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SafetensorsWriter.Write(path, tensors.Select(t => TensorToWrite.FromFloat32(t.Name, new Shape(t.Values.Length), t.Values)));
    }

    private string WriteIndex(IEnumerable<KeyValuePair<string, string>> weightMap)
    {
        var index = new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, long> { ["total_size"] = 0 },
            ["weight_map"] = weightMap.ToDictionary(kv => kv.Key, kv => kv.Value),
        };
        string path = Path.Combine(_model, ShardedCheckpoint.IndexFileName);
        File.WriteAllText(path, JsonSerializer.Serialize(index));
        return path;
    }

    private static KeyValuePair<string, string> Map(string tensor, string shard) => new(tensor, shard);

    [Test]
    public void OpensShardsThroughTheIndex()
    {
        float[] a = Values(5, 1), b = Values(3, 2), c = Values(4, 3), extra = Values(2, 4);
        WriteShard("model-00001-of-00002.safetensors", ("a", a), ("b", b), ("extra", extra));
        WriteShard("model-00002-of-00002.safetensors", ("c", c));
        WriteIndex([Map("c", "model-00002-of-00002.safetensors"), Map("a", "model-00001-of-00002.safetensors"), Map("b", "model-00001-of-00002.safetensors")]);

        using var checkpoint = ShardedCheckpoint.Open(_model);
        Assert.That(checkpoint.Names, Is.EqualTo(new[] { "c", "a", "b" }));
        Assert.That(checkpoint.Files, Has.Count.EqualTo(2));
        Assert.That(checkpoint.ReadAsFloat32("a"), Is.EqualTo(a));
        Assert.That(checkpoint.ReadAsFloat32("b"), Is.EqualTo(b));
        Assert.That(checkpoint.ReadAsFloat32("c"), Is.EqualTo(c));
        Assert.That(checkpoint.TryGet("c", out var file, out var entry), Is.True);
        Assert.That(Path.GetFileName(file!.Path), Is.EqualTo("model-00002-of-00002.safetensors"));
        Assert.That(entry!.Shape, Is.EqualTo(new Shape(4)));
        Assert.That(checkpoint.Contains("extra"), Is.False, "a tensor the weight_map does not list is ignored");
        Assert.That(() => checkpoint.ReadAsFloat32("extra"), Throws.TypeOf<KeyNotFoundException>().With.Message.Contains("'extra'"));
    }

    [Test]
    public void ShardsInASubdirectoryAreAllowed()
    {
        float[] a = Values(2, 5);
        WriteShard("shards/part.safetensors", ("a", a));
        WriteIndex([Map("a", "shards/./part.safetensors")]);
        using var checkpoint = ShardedCheckpoint.Open(_model);
        Assert.That(checkpoint.ReadAsFloat32("a"), Is.EqualTo(a));
    }

    [Test]
    public void OpensASingleFileWithoutIndex()
    {
        float[] a = Values(6, 6);
        WriteShard(ShardedCheckpoint.SingleFileName, ("a", a), ("b", Values(1, 7)));
        using var checkpoint = ShardedCheckpoint.Open(_model);
        Assert.That(checkpoint.Names, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(checkpoint.ReadAsFloat32("a"), Is.EqualTo(a));
    }

    [TestCase("../outside.safetensors", "contains '..'")]
    [TestCase("sub/../../outside.safetensors", "contains '..'")]
    [TestCase("..\\outside.safetensors", "contains '..'")]
    [TestCase("/tmp/outside.safetensors", "is absolute")]
    [TestCase("C:\\weights\\outside.safetensors", "is absolute")]
    [TestCase("", "is empty")]
    public void RefusesShardPathsThatLeaveTheDirectory(string shard, string phrase)
    {
        // The target exists, so only the path check can stop it.
        SafetensorsWriter.Write(Path.Combine(_dir.Path, "outside.safetensors"), [TensorToWrite.FromFloat32("a", new Shape(1), new float[1])]);
        WriteShard("model-00001-of-00001.safetensors", ("b", Values(1, 8)));
        WriteIndex([Map("b", "model-00001-of-00001.safetensors"), Map("a", shard)]);

        var error = Assert.Throws<SafetensorsFormatException>(() => ShardedCheckpoint.Open(_model))!;
        Assert.That(error.Message, Does.Contain(ShardedCheckpoint.IndexFileName).And.Contain(phrase));
        Assert.That(error.TensorName, Is.EqualTo("a"));
    }

    [Test]
    public void RefusesAnAbsolutePathEvenIntoTheDirectoryItself()
    {
        WriteShard("model-00001-of-00001.safetensors", ("a", Values(1, 9)));
        WriteIndex([Map("a", Path.Combine(_model, "model-00001-of-00001.safetensors"))]);
        Assert.That(() => ShardedCheckpoint.Open(_model), Throws.TypeOf<SafetensorsFormatException>().With.Message.Contains("is absolute"));
    }

    [Test]
    public void NameMissingFromItsShardNamesTensorAndShard()
    {
        WriteShard("model-00001-of-00001.safetensors", ("a", Values(1, 10)));
        WriteIndex([Map("a", "model-00001-of-00001.safetensors"), Map("ghost", "model-00001-of-00001.safetensors")]);
        var error = Assert.Throws<SafetensorsFormatException>(() => ShardedCheckpoint.Open(_model))!;
        Assert.That(error.Message, Does.Contain("'ghost'").And.Contain("model-00001-of-00001.safetensors").And.Contain("absent from this shard"));
    }

    [Test]
    public void MissingShardFileNamesIt()
    {
        WriteIndex([Map("a", "model-00001-of-00009.safetensors")]);
        Assert.That(() => ShardedCheckpoint.Open(_model), Throws.TypeOf<FileNotFoundException>()
            .With.Message.Contains("model-00001-of-00009.safetensors").And.Message.Contains("'a'"));
    }

    [Test]
    public void IndexWithoutWeightMapIsRefused()
    {
        File.WriteAllText(Path.Combine(_model, ShardedCheckpoint.IndexFileName), "{\"metadata\": {\"total_size\": 4}}");
        Assert.That(() => ShardedCheckpoint.Open(_model), Throws.TypeOf<SafetensorsFormatException>()
            .With.Message.Contains(ShardedCheckpoint.IndexFileName).And.Message.Contains("no \"weight_map\""));
    }

    [Test]
    public void WeightMapWithNonStringShardIsRefused()
    {
        File.WriteAllText(Path.Combine(_model, ShardedCheckpoint.IndexFileName), "{\"weight_map\": {\"a\": 3}}");
        Assert.That(() => ShardedCheckpoint.Open(_model), Throws.TypeOf<SafetensorsFormatException>()
            .With.Message.Contains("'a'").And.Message.Contains("not a shard file name"));
    }

    [Test]
    public void DirectoryWithoutWeightsNamesTheDirectory() =>
        Assert.That(() => ShardedCheckpoint.Open(_model), Throws.TypeOf<FileNotFoundException>()
            .With.Message.Contains(_model).And.Message.Contains("neither"));

    [Test]
    public void MissingDirectoryIsNamed() =>
        Assert.That(() => ShardedCheckpoint.Open(Path.Combine(_dir.Path, "nowhere")), Throws.TypeOf<DirectoryNotFoundException>()
            .With.Message.Contains("nowhere"));

    [Test]
    public void GitLfsPointerInPlaceOfTheWeightsIsNamed()
    {
        File.WriteAllText(Path.Combine(_model, ShardedCheckpoint.SingleFileName), "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n");
        Assert.That(() => ShardedCheckpoint.Open(_model), Throws.TypeOf<SafetensorsFormatException>()
            .With.Message.Contains("model.safetensors").And.Message.Contains("run git lfs pull"));
    }

    [Test]
    public void GitLfsPointerInPlaceOfTheIndexIsNamed()
    {
        File.WriteAllText(Path.Combine(_model, ShardedCheckpoint.IndexFileName), "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n");
        Assert.That(() => ShardedCheckpoint.Open(_model), Throws.TypeOf<SafetensorsFormatException>()
            .With.Message.Contains(ShardedCheckpoint.IndexFileName).And.Message.Contains("Git LFS pointer"));
    }
}
