using System.Text.Json;
using System.Text.Unicode;
using Clara.Engine.Tensors;

namespace Clara.Engine.IO.Safetensors;

/// <summary>What a header declares for one tensor, offsets still relative to the data section and not yet checked against it.</summary>
internal readonly record struct DeclaredTensor(string Name, DType DType, Shape Shape, long ByteLength, long Begin, long End);

internal sealed record SafetensorsHeader(IReadOnlyList<DeclaredTensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Parses the JSON header of a safetensors file with <see cref="Utf8JsonReader"/>: no reflection (trim/AOT safe), no
/// copy of the header, and every key seen in order, which is how duplicate tensor names are caught (a DOM or
/// serializer would silently keep the last one).
/// </summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>The limit the reference implementation enforces; a larger prefix means a corrupt or foreign file.</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json)) throw new SafetensorsFormatException(path, "header is not valid UTF-8");
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            return ReadHeaderObject(ref reader, path);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(path, $"header is not valid JSON ({e.Message})", inner: e);
        }
    }

    private static SafetensorsHeader ReadHeaderObject(ref Utf8JsonReader reader, string path)
    {
        Next(ref reader, path, null);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(path, $"header JSON is not an object (it is {Describe(reader.TokenType)})");

        var tensors = new List<DeclaredTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        bool sawMetadata = false;
        while (Next(ref reader, path, null) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            if (key == MetadataKey)
            {
                if (sawMetadata) throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" appears twice in the header");
                sawMetadata = true;
                metadata = ReadMetadata(ref reader, path);
            }
            else
            {
                if (!names.Add(key)) throw new SafetensorsFormatException(path, "duplicate tensor name in the header", key);
                tensors.Add(ReadTensor(ref reader, path, key));
            }
        }
        // Drives the reader over what follows the object: whitespace (writers pad with spaces) is fine, anything else throws.
        if (reader.Read()) throw new SafetensorsFormatException(path, "unexpected content after the header object");
        return new SafetensorsHeader(tensors, metadata ?? new Dictionary<string, string>());
    }

    /// <summary>A string→string map. <c>null</c> is accepted as "no metadata", as the reference implementation does.</summary>
    private static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader, string path)
    {
        var token = Next(ref reader, path, null);
        if (token == JsonTokenType.Null) return null;
        if (token != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" is not a string-to-string map (it is {Describe(token)})");

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (Next(ref reader, path, null) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            var valueToken = Next(ref reader, path, null);
            if (valueToken != JsonTokenType.String)
                throw new SafetensorsFormatException(path,
                    $"\"{MetadataKey}\" is not a string-to-string map: the value of '{key}' is {Describe(valueToken)}");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" has the key '{key}' twice");
        }
        return metadata;
    }

    private static DeclaredTensor ReadTensor(ref Utf8JsonReader reader, string path, string name)
    {
        var token = Next(ref reader, path, name);
        if (token != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(path, $"entry is not an object (it is {Describe(token)})", name);

        DType? dtype = null;
        int[]? dims = null;
        long[]? offsets = null;
        while (Next(ref reader, path, name) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            switch (key)
            {
                case "dtype":
                    if (dtype is not null) throw DuplicateKey(path, name, key);
                    dtype = ReadDType(ref reader, path, name);
                    break;
                case "shape":
                    if (dims is not null) throw DuplicateKey(path, name, key);
                    dims = ReadShape(ref reader, path, name);
                    break;
                case "data_offsets":
                    if (offsets is not null) throw DuplicateKey(path, name, key);
                    offsets = ReadOffsets(ref reader, path, name);
                    break;
                default:
                    throw new SafetensorsFormatException(path, $"entry has the unexpected key '{key}'", name);
            }
        }
        if (dtype is null) throw Missing(path, name, "dtype");
        if (dims is null) throw Missing(path, name, "shape");
        if (offsets is null) throw Missing(path, name, "data_offsets");

        long byteLength = ByteLength(path, name, dims, dtype.Value);
        return new DeclaredTensor(name, dtype.Value, new Shape(dims), byteLength, offsets[0], offsets[1]);
    }

    private static DType ReadDType(ref Utf8JsonReader reader, string path, string name)
    {
        var token = Next(ref reader, path, name);
        if (token != JsonTokenType.String)
            throw new SafetensorsFormatException(path, $"'dtype' is not a string (it is {Describe(token)})", name);
        string text = reader.GetString()!;
        return DTypeInfo.TryParseSafetensorsName(text, out var dtype)
            ? dtype
            : throw new SafetensorsFormatException(path, $"unknown dtype '{text}'", name);
    }

    private static int[] ReadShape(ref Utf8JsonReader reader, string path, string name)
    {
        var token = Next(ref reader, path, name);
        if (token != JsonTokenType.StartArray)
            throw new SafetensorsFormatException(path, $"'shape' is not an array (it is {Describe(token)})", name);
        var dims = new List<int>();
        while (Next(ref reader, path, name) != JsonTokenType.EndArray)
        {
            long dim = ReadNonNegativeInteger(ref reader, path, name, "shape dimension");
            if (dim > int.MaxValue)
                throw new SafetensorsFormatException(path, $"shape dimension {dim} exceeds the engine's limit of {int.MaxValue}", name);
            dims.Add((int)dim);
        }
        return dims.ToArray();
    }

    private static long[] ReadOffsets(ref Utf8JsonReader reader, string path, string name)
    {
        var token = Next(ref reader, path, name);
        if (token != JsonTokenType.StartArray)
            throw new SafetensorsFormatException(path, $"'data_offsets' is not an array (it is {Describe(token)})", name);
        var offsets = new List<long>(2);
        while (Next(ref reader, path, name) != JsonTokenType.EndArray)
            offsets.Add(ReadNonNegativeInteger(ref reader, path, name, "data offset"));
        if (offsets.Count != 2)
            throw new SafetensorsFormatException(path, $"'data_offsets' has {offsets.Count} values instead of [begin, end]", name);
        return offsets.ToArray();
    }

    private static long ReadNonNegativeInteger(ref Utf8JsonReader reader, string path, string name, string what)
    {
        if (reader.TokenType != JsonTokenType.Number)
            throw new SafetensorsFormatException(path, $"{what} is not an integer (it is {Describe(reader.TokenType)})", name);
        if (reader.TryGetInt64(out long value))
        {
            return value >= 0 ? value : throw new SafetensorsFormatException(path, $"{what} {value} is negative", name);
        }
        string raw = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
        bool looksIntegral = raw.AsSpan().IndexOfAny(".eE") < 0;
        throw new SafetensorsFormatException(path,
            looksIntegral ? $"{what} {raw} is out of range" : $"{what} {raw} is not an integer", name);
    }

    /// <summary>Element count × dtype size, refusing products that do not fit in a long.</summary>
    private static long ByteLength(string path, string name, int[] dims, DType dtype)
    {
        long bytes = dtype.SizeOf();
        foreach (int dim in dims)
        {
            if (dim != 0 && bytes > long.MaxValue / dim)
                throw new SafetensorsFormatException(path, $"shape [{string.Join(", ", dims)}] of {dtype.SafetensorsName()} is too large to address", name);
            bytes *= dim;
        }
        return bytes;
    }

    /// <summary>Reads the next token. With a final block the reader throws on truncated JSON, so running out here means a reader bug, not bad input.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader reader, string path, string? name) =>
        reader.Read() ? reader.TokenType : throw new SafetensorsFormatException(path, "header JSON ends unexpectedly", name);

    private static SafetensorsFormatException DuplicateKey(string path, string name, string key) =>
        new(path, $"entry has the key '{key}' twice", name);

    private static SafetensorsFormatException Missing(string path, string name, string key) =>
        new(path, $"entry lacks '{key}'", name);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
