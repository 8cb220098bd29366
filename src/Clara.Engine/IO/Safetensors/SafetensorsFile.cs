using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Clara.Engine.Tensors;

namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// A safetensors file, memory-mapped read-only. <see cref="Open"/> validates the whole header and the data
/// layout up front, so every tensor's bytes are proven in bounds before anything reads them.
/// </summary>
/// <remarks>
/// Spans from <see cref="GetBytes"/> and pointers from <see cref="GetPointer"/> point into the mapping: they are
/// valid until <see cref="Dispose"/>, and reading one afterwards is undefined behaviour. Concurrent reads are safe;
/// disposing while another thread reads is not. Changing or truncating the file on disk while it is mapped is
/// outside what any reader can defend against.
/// </remarks>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const int LengthPrefixSize = sizeof(ulong);

    /// <summary>Conversions run in slices so spans stay within int range even for tensors over 2 GiB.</summary>
    private const int ConversionSliceElements = 1 << 24;

    private readonly ReadOnlyMappedFile _mapped;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsFile(string path, ReadOnlyMappedFile mapped, long dataSectionOffset,
        IReadOnlyList<SafetensorsEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _mapped = mapped;
        DataSectionOffset = dataSectionOffset;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The header's "__metadata__" map; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Tensors { get; }

    /// <summary>Absolute offset of the first data byte: 8 + the header length.</summary>
    public long DataSectionOffset { get; }

    public long FileLength => _mapped.Length;

    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; big-endian hosts are not supported");

        string fullPath = System.IO.Path.GetFullPath(path);
        InputFile.Require(fullPath, "safetensors file");
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        ReadOnlyMappedFile? mapped = null;
        try
        {
            if (stream.Length < LengthPrefixSize)
                throw new SafetensorsFormatException(fullPath,
                    $"file is {stream.Length} bytes long, shorter than the {LengthPrefixSize}-byte header length prefix");
            mapped = ReadOnlyMappedFile.Map(stream);
            return FromMapping(fullPath, mapped);
        }
        catch
        {
            if (mapped is null) stream.Dispose(); else mapped.Dispose();
            throw;
        }
    }

    private static SafetensorsFile FromMapping(string path, ReadOnlyMappedFile mapped)
    {
        long fileLength = mapped.Length;
        if (GitLfsPointer.IsPointer(mapped.Span(0, (int)Math.Min(fileLength, GitLfsPointer.SignatureLength))))
            throw GitLfsPointer.Error(path);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(mapped.Span(0, LengthPrefixSize));
        if (headerLength > SafetensorsHeaderParser.MaxHeaderLength)
            throw new SafetensorsFormatException(path,
                $"header length {headerLength} exceeds the limit of {SafetensorsHeaderParser.MaxHeaderLength} bytes");
        long available = fileLength - LengthPrefixSize;
        if ((long)headerLength > available)
            throw new SafetensorsFormatException(path,
                $"header length {headerLength} runs past the end of the file ({available} bytes follow the length prefix)");

        long dataStart = LengthPrefixSize + (long)headerLength;
        long dataLength = fileLength - dataStart;
        var header = SafetensorsHeaderParser.Parse(path, mapped.Span(LengthPrefixSize, (int)headerLength));
        var entries = DataSectionLayout.Validate(path, header.Tensors, dataStart, dataLength);
        return new SafetensorsFile(path, mapped, dataStart, entries, header.Metadata);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGet(string name, [MaybeNullWhen(false)] out SafetensorsEntry entry) => _byName.TryGetValue(name, out entry);

    public SafetensorsEntry this[string name] =>
        _byName.TryGetValue(name, out var entry) ? entry : throw new KeyNotFoundException($"tensor '{name}' is not in {Path}");

    /// <summary>The tensor's raw little-endian bytes, straight from the mapping. Valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> GetBytes(SafetensorsEntry entry)
    {
        EnsureOwned(entry);
        if (entry.ByteLength > int.MaxValue)
            throw new NotSupportedException($"{Path}: tensor '{entry.Name}' is {entry.ByteLength} bytes, too large for a span; use GetPointer");
        return _mapped.Span(entry.DataOffset, (int)entry.ByteLength);
    }

    /// <summary>
    /// Pointer to the tensor's first byte for zero-copy use (e.g. a device upload). Valid until <see cref="Dispose"/>;
    /// <see cref="SafetensorsEntry.ByteLength"/> bytes may be read from it. Not aligned beyond what the file provides.
    /// </summary>
    public byte* GetPointer(SafetensorsEntry entry)
    {
        EnsureOwned(entry);
        return _mapped.PointerAt(entry.DataOffset);
    }

    /// <summary>The tensor converted to fp32 from F32, BF16, F16 or F64.</summary>
    public float[] ReadAsFloat32(string name)
    {
        var entry = this[name];
        var values = GC.AllocateUninitializedArray<float>(CheckedArrayLength(entry));
        ReadAsFloat32(entry, values);
        return values;
    }

    /// <summary>Converts the tensor to fp32 into <paramref name="destination"/>, which must hold at least its element count.</summary>
    public void ReadAsFloat32(SafetensorsEntry entry, Span<float> destination)
    {
        EnsureOwned(entry);
        if (!entry.DType.IsFloatStorage()) throw WrongDType(entry, "ReadAsFloat32", "F32, BF16, F16 or F64");
        if (destination.Length < entry.ElementCount)
            throw new ArgumentException($"destination holds {destination.Length} floats but tensor '{entry.Name}' has {entry.ElementCount}", nameof(destination));

        int elementSize = entry.DType.SizeOf();
        for (long done = 0; done < entry.ElementCount; done += ConversionSliceElements)
        {
            int count = (int)Math.Min(ConversionSliceElements, entry.ElementCount - done);
            var source = new ReadOnlySpan<byte>(_mapped.PointerAt(entry.DataOffset + done * elementSize), count * elementSize);
            BulkConvert.ToFloat32(entry.DType, source, destination.Slice((int)done, count));
        }
    }

    /// <summary>An I32 tensor, or an I64 tensor whose every value fits in an int.</summary>
    public int[] ReadAsInt32(string name)
    {
        var entry = this[name];
        var values = GC.AllocateUninitializedArray<int>(CheckedArrayLength(entry));
        switch (entry.DType)
        {
            case DType.I32:
                MemoryMarshal.Cast<byte, int>(GetBytes(entry)).CopyTo(values);
                break;
            case DType.I64:
                var wide = MemoryMarshal.Cast<byte, long>(GetBytes(entry));
                for (int i = 0; i < wide.Length; i++)
                {
                    long v = wide[i];
                    if (v is < int.MinValue or > int.MaxValue)
                        throw new InvalidDataException($"{Path}: tensor '{name}': element {i} = {v} does not fit in a 32-bit int");
                    values[i] = (int)v;
                }
                break;
            default:
                throw WrongDType(entry, "ReadAsInt32", "I32 or I64");
        }
        return values;
    }

    /// <summary>An I64 or I32 tensor as longs.</summary>
    public long[] ReadAsInt64(string name)
    {
        var entry = this[name];
        var values = GC.AllocateUninitializedArray<long>(CheckedArrayLength(entry));
        switch (entry.DType)
        {
            case DType.I64:
                MemoryMarshal.Cast<byte, long>(GetBytes(entry)).CopyTo(values);
                break;
            case DType.I32:
                var narrow = MemoryMarshal.Cast<byte, int>(GetBytes(entry));
                for (int i = 0; i < narrow.Length; i++) values[i] = narrow[i];
                break;
            default:
                throw WrongDType(entry, "ReadAsInt64", "I64 or I32");
        }
        return values;
    }

    public void Dispose() => _mapped.Dispose();

    private void EnsureOwned(SafetensorsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ObjectDisposedException.ThrowIf(_mapped.IsDisposed, this);
        // Only entries this file validated are known to be in bounds of this mapping.
        if (!_byName.TryGetValue(entry.Name, out var own) || !ReferenceEquals(own, entry))
            throw new ArgumentException($"the entry for tensor '{entry.Name}' does not come from {Path}", nameof(entry));
    }

    private int CheckedArrayLength(SafetensorsEntry entry) =>
        entry.ElementCount <= Array.MaxLength
            ? (int)entry.ElementCount
            : throw new NotSupportedException($"{Path}: tensor '{entry.Name}' has {entry.ElementCount} elements, more than one array can hold");

    private InvalidDataException WrongDType(SafetensorsEntry entry, string method, string accepted) =>
        new($"{Path}: tensor '{entry.Name}' has dtype {entry.DType.SafetensorsName()}; {method} reads {accepted}");
}
