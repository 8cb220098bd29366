using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// One tests/fixtures/kernels/*.safetensors file written by tests/oracle/make_kernel_fixtures.py,
/// read with a deliberately small safetensors reader (u64 header length, JSON header, packed data)
/// so these tests depend on nothing else in the engine.
/// </summary>
public sealed class KernelFixture
{
    private readonly byte[] _data;
    private readonly Dictionary<string, (string DType, int[] Shape, int Start, int End)> _entries = [];

    private KernelFixture(string path)
    {
        Path = path;
        var bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var offsets = entry.Value.GetProperty("data_offsets");
            _entries[entry.Name] = (entry.Value.GetProperty("dtype").GetString()!,
                entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                offsets[0].GetInt32(), offsets[1].GetInt32());
        }
        _data = bytes[(8 + (int)headerLength)..];
    }

    public string Path { get; }

    public static KernelFixture Load(string name)
    {
        var path = System.IO.Path.Combine(Fixtures.Root, "kernels", name + ".safetensors");
        if (!File.Exists(path)) Assert.Fail($"fixture {path} is missing; run /usr/bin/python3 tests/oracle/make_kernel_fixtures.py");
        return new KernelFixture(path);
    }

    public int[] Shape(string name) => Entry(name).Shape;

    public float[] F32(string name) => Values<float>(name, "F32");
    public int[] I32(string name) => Values<int>(name, "I32");
    public double F64Scalar(string name) => Values<double>(name, "F64").Single();
    public long I64Scalar(string name) => Values<long>(name, "I64").Single();

    /// <summary>The raw bytes of a tensor of any dtype (16-bit patterns for BF16/F16).</summary>
    public byte[] Bytes(string name, string dtype)
    {
        var e = Entry(name);
        Assert.That(e.DType, Is.EqualTo(dtype), $"{name} in {Path}");
        return _data[e.Start..e.End];
    }

    private T[] Values<T>(string name, string dtype) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(Bytes(name, dtype)).ToArray();

    private (string DType, int[] Shape, int Start, int End) Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path} has no tensor '{name}'");
}
