using System.Text.Json;
using System.Text.Unicode;

namespace Clara.Engine.IO.Safetensors;

/// <summary>One line of a sharded checkpoint's weight_map: the tensor and the shard file path as written in the index.</summary>
internal readonly record struct ShardAssignment(string Tensor, string Shard);

/// <summary>
/// Reads <c>model.safetensors.index.json</c> (the Hugging Face sharding index) and vets every shard path it names,
/// since the index is untrusted input that could otherwise point the loader at any file on the machine.
/// </summary>
internal static class ShardIndex
{
    /// <summary>Real indexes are tens of kilobytes; this only stops a corrupt file from being read whole into memory.</summary>
    private const long MaxIndexLength = 64L << 20;

    public static IReadOnlyList<ShardAssignment> Read(string indexPath)
    {
        byte[] bytes = ReadBounded(indexPath);
        if (GitLfsPointer.IsPointer(bytes)) throw GitLfsPointer.Error(indexPath);
        if (!Utf8.IsValid(bytes)) throw new SafetensorsFormatException(indexPath, "index is not valid UTF-8");
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            return ReadTopLevel(ref reader, indexPath);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(indexPath, $"index is not valid JSON ({e.Message})", inner: e);
        }
    }

    /// <summary>
    /// The full path of <paramref name="shard"/> inside <paramref name="directory"/> (a full path), refusing absolute
    /// paths, ".." segments and anything that resolves outside the directory.
    /// </summary>
    public static string ResolveShardPath(string indexPath, string directory, string shard, string tensor)
    {
        if (shard.Length == 0 || shard.Contains('\0'))
            throw new SafetensorsFormatException(indexPath, $"shard path '{shard}' is empty or contains a NUL character", tensor);
        bool driveQualified = shard.Length >= 2 && shard[1] == ':' && char.IsAsciiLetter(shard[0]);
        if (Path.IsPathRooted(shard) || shard[0] is '/' or '\\' || driveQualified)
            throw new SafetensorsFormatException(indexPath, $"shard path '{shard}' is absolute; shards must be relative to the checkpoint directory", tensor);
        if (shard.Split('/', '\\').Contains(".."))
            throw new SafetensorsFormatException(indexPath, $"shard path '{shard}' contains '..'; shards must stay inside the checkpoint directory", tensor);

        string full = Path.GetFullPath(Path.Combine(directory, shard));
        string root = Path.EndsInDirectorySeparator(directory) ? directory : directory + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
            throw new SafetensorsFormatException(indexPath, $"shard path '{shard}' resolves outside the checkpoint directory", tensor);
        return full;
    }

    private static byte[] ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > MaxIndexLength)
            throw new SafetensorsFormatException(path, $"index is {stream.Length} bytes, over the {MaxIndexLength}-byte limit for an index");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static IReadOnlyList<ShardAssignment> ReadTopLevel(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(path, "index JSON is not an object");

        List<ShardAssignment>? assignments = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (key != "weight_map")
            {
                // "metadata" (total_size etc.) and anything else: not needed to locate tensors.
                reader.Skip();
                continue;
            }
            if (assignments is not null) throw new SafetensorsFormatException(path, "\"weight_map\" appears twice");
            assignments = ReadWeightMap(ref reader, path);
        }
        reader.Read();
        return assignments ?? throw new SafetensorsFormatException(path, "index has no \"weight_map\"");
    }

    private static List<ShardAssignment> ReadWeightMap(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(path, "\"weight_map\" is not an object mapping tensor names to shard files");
        var assignments = new List<ShardAssignment>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string tensor = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw new SafetensorsFormatException(path, "\"weight_map\" value is not a shard file name", tensor);
            if (!seen.Add(tensor))
                throw new SafetensorsFormatException(path, "tensor appears twice in \"weight_map\"", tensor);
            assignments.Add(new ShardAssignment(tensor, reader.GetString()!));
        }
        return assignments;
    }
}
