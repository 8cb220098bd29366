using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Clara.Engine.Tests.Hostile;

/// <summary>Assembles pickle opcodes by hand (protocol 2, as pickletools documents them) for hostile inputs.</summary>
internal sealed class PickleBytes
{
    private readonly MemoryStream _bytes = new();

    public PickleBytes Raw(params byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public PickleBytes Repeat(int times, params byte[] bytes)
    {
        for (int i = 0; i < times; i++) _bytes.Write(bytes);
        return this;
    }

    public PickleBytes Proto() => Raw(0x80, 2);
    public PickleBytes Stop() => Raw((byte)'.');
    public PickleBytes Mark() => Raw((byte)'(');
    public PickleBytes EmptyDict() => Raw((byte)'}');
    public PickleBytes EmptyTuple() => Raw((byte)')');
    public PickleBytes Tuple() => Raw((byte)'t');
    public PickleBytes SetItem() => Raw((byte)'s');
    public PickleBytes Reduce() => Raw((byte)'R');
    public PickleBytes False() => Raw(0x89);
    public PickleBytes BinPersId() => Raw((byte)'Q');

    public PickleBytes Global(string module, string name) => Raw((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBytes Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        Raw((byte)'X');
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Raw(length.ToArray()).Raw(utf8);
    }

    /// <summary>LONG1: any 64-bit integer.</summary>
    public PickleBytes Int(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return Raw(0x8a, 8).Raw(bytes);
    }

    public PickleBytes IntTuple(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>
    /// {name: _rebuild_tensor_v2(storage(key, FloatStorage, numel), offset, size, stride, False, OrderedDict())},
    /// the state dict torch.save writes for one float tensor.
    /// </summary>
    public static byte[] OneTensorStateDict(string name, long numel, long offset, long[] size, long[] stride)
    {
        var p = new PickleBytes().Proto().EmptyDict().Str(name);
        p.Global("torch._utils", "_rebuild_tensor_v2").Mark();
        p.Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(numel).Tuple().BinPersId();
        p.Int(offset).IntTuple(size).IntTuple(stride).False().Global("collections", "OrderedDict").EmptyTuple().Reduce();
        p.Tuple().Reduce().SetItem().Stop();
        return p.ToArray();
    }

    public byte[] ToArray() => _bytes.ToArray();
}

/// <summary>Writes a genuine torch.save zip layout around a pickle: ARCHIVE/data.pkl, version, byteorder and storage records.</summary>
internal static class TorchZip
{
    public static string Write(string path, byte[] pickle, IReadOnlyDictionary<string, long>? zeroStorages = null)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Entry(zip, "archive/data.pkl", pickle);
        Entry(zip, "archive/version", "3\n"u8.ToArray());
        Entry(zip, "archive/byteorder", "little"u8.ToArray());
        foreach (var (key, bytes) in zeroStorages ?? new Dictionary<string, long>())
        {
            // Zeros deflate about 1000:1, which is the point: a small file declaring a huge storage.
            using var stream = zip.CreateEntry($"archive/data/{key}", CompressionLevel.Fastest).Open();
            var chunk = new byte[1 << 20];
            for (long left = bytes; left > 0; left -= chunk.Length) stream.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }
        return path;
    }

    private static void Entry(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }
}
