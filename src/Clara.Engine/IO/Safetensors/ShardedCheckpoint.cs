using System.Diagnostics.CodeAnalysis;

namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// The weights of a Hugging Face model directory: either shards listed by <c>model.safetensors.index.json</c>, or a
/// single <c>model.safetensors</c>. Each shard is mapped once; tensors are looked up by name across all of them.
/// </summary>
/// <remarks>
/// With an index, the weight_map is authoritative: every name it lists must be in the shard it names, and tensors a
/// shard holds beyond the map are ignored (that is how the Hugging Face loaders treat them too).
/// </remarks>
public sealed class ShardedCheckpoint : IDisposable
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    private readonly IReadOnlyList<SafetensorsFile> _files;
    private readonly Dictionary<string, (SafetensorsFile File, SafetensorsEntry Entry)> _tensors;

    private ShardedCheckpoint(string directory, IReadOnlyList<SafetensorsFile> files,
        IReadOnlyList<string> names, Dictionary<string, (SafetensorsFile, SafetensorsEntry)> tensors)
    {
        Directory = directory;
        _files = files;
        Names = names;
        _tensors = tensors;
    }

    /// <summary>Full path of the checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>Tensor names, in index order (or file order for a single file).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The opened files, each once.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    public static ShardedCheckpoint Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string fullDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!System.IO.Directory.Exists(fullDirectory))
            throw new DirectoryNotFoundException($"checkpoint directory {fullDirectory} does not exist");

        string indexPath = Path.Combine(fullDirectory, IndexFileName);
        if (File.Exists(indexPath)) return OpenSharded(fullDirectory, indexPath);

        string singlePath = Path.Combine(fullDirectory, SingleFileName);
        if (File.Exists(singlePath)) return OpenSingle(fullDirectory, singlePath);

        throw new FileNotFoundException($"{fullDirectory} has neither {IndexFileName} nor {SingleFileName}", singlePath);
    }

    private static ShardedCheckpoint OpenSingle(string directory, string path)
    {
        var file = SafetensorsFile.Open(path);
        var tensors = file.Tensors.ToDictionary(e => e.Name, e => (file, e), StringComparer.Ordinal);
        return new ShardedCheckpoint(directory, [file], file.Tensors.Select(e => e.Name).ToArray(), tensors);
    }

    private static ShardedCheckpoint OpenSharded(string directory, string indexPath)
    {
        var assignments = ShardIndex.Read(indexPath);
        var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            var tensors = new Dictionary<string, (SafetensorsFile, SafetensorsEntry)>(StringComparer.Ordinal);
            foreach (var (tensor, shard) in assignments)
            {
                string shardPath = ShardIndex.ResolveShardPath(indexPath, directory, shard, tensor);
                if (!shards.TryGetValue(shardPath, out var file))
                {
                    if (!File.Exists(shardPath))
                        throw new FileNotFoundException($"{indexPath}: tensor '{tensor}' is assigned to shard '{shard}', which does not exist", shardPath);
                    file = SafetensorsFile.Open(shardPath);
                    shards.Add(shardPath, file);
                }
                if (!file.TryGet(tensor, out var entry))
                    throw new SafetensorsFormatException(file.Path, $"listed in {IndexFileName}'s weight_map but absent from this shard", tensor);
                tensors.Add(tensor, (file, entry));
            }
            return new ShardedCheckpoint(directory, shards.Values.ToArray(), assignments.Select(a => a.Tensor).ToArray(), tensors);
        }
        catch
        {
            foreach (var file in shards.Values) file.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public bool TryGet(string name, [MaybeNullWhen(false)] out SafetensorsFile file, [MaybeNullWhen(false)] out SafetensorsEntry entry)
    {
        if (_tensors.TryGetValue(name, out var found))
        {
            (file, entry) = found;
            return true;
        }
        file = null;
        entry = null;
        return false;
    }

    public float[] ReadAsFloat32(string name)
    {
        if (!TryGet(name, out var file, out _))
            throw new KeyNotFoundException($"tensor '{name}' is not in the checkpoint {Directory}");
        return file.ReadAsFloat32(name);
    }

    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }
}
