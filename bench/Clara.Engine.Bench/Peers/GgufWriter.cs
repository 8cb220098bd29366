using System.Buffers.Binary;
using System.Text;

namespace Clara.Engine.Bench.Peers;

/// <summary>GGML tensor storage types this writer emits (values of ggml.h's enum ggml_type).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    /// <summary>Blocks of 32 weights along a row: an f16 scale, then 32 int8 values (34 bytes).</summary>
    Q8_0 = 8,
    BF16 = 30,
}

/// <summary>
/// A minimal GGUF (version 3) writer, enough for llama.cpp to load a model: metadata key/values (integers, floats,
/// strings, arrays of strings/floats/integers), then the tensor directory, then the tensor data, each tensor at an
/// offset aligned to <see cref="Alignment"/>. Dimensions are written innermost first (GGML's ne[0] is the row
/// length), so a PyTorch [out, in] weight is written as {in, out} with its bytes unchanged.
/// Layout: "GGUF", u32 version, u64 tensor count, u64 key count, keys, tensor infos, padding, data.
/// </summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;

    private readonly List<(string Key, Action<BinaryWriter> Value)> _metadata = [];
    private readonly List<(string Name, long[] Dims, GgmlType Type, byte[] Data)> _tensors = [];

    private enum ValueType : uint
    {
        UInt32 = 4,
        Int32 = 5,
        Float32 = 6,
        String = 8,
        Array = 9,
    }

    public void Add(string key, string value) => _metadata.Add((key, w => { Type(w, ValueType.String); Text(w, value); }));

    public void Add(string key, uint value) => _metadata.Add((key, w => { Type(w, ValueType.UInt32); w.Write(value); }));

    public void Add(string key, float value) => _metadata.Add((key, w => { Type(w, ValueType.Float32); w.Write(value); }));

    public void Add(string key, IReadOnlyList<string> values) => _metadata.Add((key, w =>
    {
        Array(w, ValueType.String, values.Count);
        foreach (var v in values) Text(w, v);
    }));

    public void Add(string key, IReadOnlyList<float> values) => _metadata.Add((key, w =>
    {
        Array(w, ValueType.Float32, values.Count);
        foreach (var v in values) w.Write(v);
    }));

    public void Add(string key, IReadOnlyList<int> values) => _metadata.Add((key, w =>
    {
        Array(w, ValueType.Int32, values.Count);
        foreach (var v in values) w.Write(v);
    }));

    /// <summary>A tensor given with PyTorch's dimension order (outermost first) and its packed little-endian bytes.</summary>
    public void AddTensor(string name, IReadOnlyList<int> torchShape, GgmlType type, byte[] data)
    {
        long elements = torchShape.Aggregate(1L, (a, d) => a * d);
        long expected = type switch
        {
            GgmlType.F32 => elements * 4,
            GgmlType.Q8_0 => elements / 32 * 34,
            _ => elements * 2,
        };
        if (data.Length != expected) throw new ArgumentException($"tensor {name}: {data.Length} bytes for {elements} {type} elements (expected {expected})");
        _tensors.Add((name, torchShape.Reverse().Select(d => (long)d).ToArray(), type, data));
    }

    public void Write(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true);
        w.Write(Encoding.ASCII.GetBytes("GGUF"));
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            Text(w, key);
            value(w);
        }
        long offset = 0;
        foreach (var (name, dims, type, data) in _tensors)
        {
            Text(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write((ulong)d);
            w.Write((uint)type);
            w.Write((ulong)offset);
            offset = Align(offset + data.Length);
        }
        Pad(w);
        long start = file.Position;
        foreach (var (_, _, _, data) in _tensors)
        {
            w.Write(data);
            Pad(w);
        }
        if (file.Position - start != offset) throw new InvalidOperationException("GGUF data section length does not match its directory");
    }

    private static long Align(long position) => (position + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        long position = w.BaseStream.Position;
        for (long i = position; i < Align(position); i++) w.Write((byte)0);
    }

    private static void Type(BinaryWriter w, ValueType type) => w.Write((uint)type);

    private static void Array(BinaryWriter w, ValueType items, int count)
    {
        Type(w, ValueType.Array);
        w.Write((uint)items);
        w.Write((ulong)count);
    }

    private static void Text(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    /// <summary>Little-endian bytes of fp32 values (GGUF is little-endian, as is every machine this runs on).</summary>
    public static byte[] F32Bytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}
