using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Clara.Engine.Tensors;

namespace Clara.Engine.IO.Safetensors;

/// <summary>Where a written file put its data, and which tensors did not land on the requested alignment.</summary>
/// <param name="UnalignedTensors">Tensors whose first byte is not a multiple of <paramref name="Alignment"/> from the file start.</param>
public sealed record SafetensorsWriteResult(
    string Path, long DataSectionOffset, int Alignment, IReadOnlyList<SafetensorsEntry> Tensors, IReadOnlyList<string> UnalignedTensors);

/// <summary>
/// Streams tensors into a safetensors file, one at a time, atomically (temp file + rename).
/// </summary>
/// <remarks>
/// Alignment, honestly: the format forbids gaps between tensors (standard readers reject holes), so the only
/// padding available is in the header, which JSON lets us pad with spaces. The writer pads it so the data section
/// starts at a multiple of <c>alignment</c>. A tensor is then aligned exactly when the byte lengths of the tensors
/// before it sum to a multiple of <c>alignment</c>. Tensors are written in the caller's order; those that end up
/// misaligned are reported in <see cref="SafetensorsWriteResult.UnalignedTensors"/>, so a caller that needs
/// alignment can order its tensors (e.g. sizes that are multiples of the alignment first) rather than be surprised.
/// </remarks>
public static class SafetensorsWriter
{
    public const int MaxAlignment = 4096;

    public static SafetensorsWriteResult Write(string path, IEnumerable<TensorToWrite> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, int alignment = 8)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (alignment < 1 || alignment > MaxAlignment || !int.IsPow2(alignment))
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, $"alignment must be a power of two between 1 and {MaxAlignment}");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported");

        // Only descriptors are materialised here; tensor data is produced later, one tensor at a time.
        var list = tensors.ToList();
        ValidateNames(list);
        ValidateMetadata(metadata);
        var offsets = DataOffsets(list);
        byte[] header = EncodeHeader(list, offsets, metadata, alignment);
        long dataStart = sizeof(ulong) + header.Length;

        string fullPath = System.IO.Path.GetFullPath(path);
        AtomicFile.Write(fullPath, stream =>
        {
            Span<byte> prefix = stackalloc byte[sizeof(ulong)];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var tensor in list)
            {
                var window = new ExactLengthWriteStream(stream, tensor.ByteLength, tensor.Name);
                tensor.WriteData(window);
                window.EnsureComplete();
            }
            return true;
        });

        var entries = new SafetensorsEntry[list.Count];
        var unaligned = new List<string>();
        for (int i = 0; i < list.Count; i++)
        {
            var t = list[i];
            entries[i] = new SafetensorsEntry(t.Name, t.DType, t.Shape, dataStart + offsets[i], t.ByteLength);
            if (entries[i].DataOffset % alignment != 0) unaligned.Add(t.Name);
        }
        return new SafetensorsWriteResult(fullPath, dataStart, alignment, entries, unaligned);
    }

    private static void ValidateNames(List<TensorToWrite> tensors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i] ?? throw new ArgumentException($"tensor #{i} is null", nameof(tensors));
            if (tensor.Name == SafetensorsHeaderParser.MetadataKey)
                throw new ArgumentException($"'{SafetensorsHeaderParser.MetadataKey}' is reserved and cannot name a tensor", nameof(tensors));
            if (!seen.Add(tensor.Name))
                throw new ArgumentException($"tensor name '{tensor.Name}' appears more than once", nameof(tensors));
        }
    }

    private static void ValidateMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null) return;
        foreach (var (key, value) in metadata)
        {
            if (value is null) throw new ArgumentException($"metadata value for '{key}' is null", nameof(metadata));
        }
    }

    private static long[] DataOffsets(List<TensorToWrite> tensors)
    {
        var offsets = new long[tensors.Count];
        long next = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            offsets[i] = next;
            next = next <= long.MaxValue - tensors[i].ByteLength
                ? next + tensors[i].ByteLength
                : throw new ArgumentException("the tensors together are too large for one file", nameof(tensors));
        }
        return offsets;
    }

    /// <summary>The JSON header, padded with trailing spaces so that 8 + its length is a multiple of <paramref name="alignment"/>.</summary>
    private static byte[] EncodeHeader(List<TensorToWrite> tensors, long[] offsets, IReadOnlyDictionary<string, string>? metadata, int alignment)
    {
        var json = new ArrayBufferWriter<byte>();
        // The header is read by programs, not embedded in HTML: keep names like "a+b" readable instead of \u002B.
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(SafetensorsHeaderParser.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", t.DType.SafetensorsName());
                writer.WriteStartArray("shape");
                foreach (int dim in t.Shape.Dims) writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offsets[i]);
                writer.WriteNumberValue(offsets[i] + t.ByteLength);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }

        int unpadded = json.WrittenCount;
        int padding = (int)((alignment - (sizeof(ulong) + (long)unpadded) % alignment) % alignment);
        if ((long)unpadded + padding > SafetensorsHeaderParser.MaxHeaderLength)
            throw new ArgumentException($"the header would be {unpadded + (long)padding} bytes, over the format's {SafetensorsHeaderParser.MaxHeaderLength}-byte limit");
        var header = new byte[unpadded + padding];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(unpadded).Fill((byte)' ');
        return header;
    }
}
