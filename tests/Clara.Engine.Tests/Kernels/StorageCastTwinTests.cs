using System.Runtime.InteropServices;
using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>The CPU twin of kernels/cast.cu against PyTorch's .to(bfloat16/float16), bit for bit (ties, overflow, subnormals).</summary>
public class StorageCastTwinTests
{
    [TestCase(DType.F32, "f32", DType.BF16, "bf16")]
    [TestCase(DType.F32, "f32", DType.F16, "f16")]
    [TestCase(DType.BF16, "bf16", DType.F16, "bf16_to_f16")]
    [TestCase(DType.F16, "f16", DType.BF16, "f16_to_bf16")]
    public void NarrowingIsBitExact(DType from, string source, DType to, string expected)
    {
        var f = KernelFixture.Load("casts");
        var input = f.Bytes(source, from.SafetensorsName());
        var want = f.Bytes(expected, to.SafetensorsName());
        var actual = new byte[want.Length];

        StorageCast.Convert(from, input, to, actual);

        var a = MemoryMarshal.Cast<byte, ushort>(actual).ToArray();
        var w = MemoryMarshal.Cast<byte, ushort>(want).ToArray();
        for (int i = 0; i < w.Length; i++)
            Assert.That(a[i], Is.EqualTo(w[i]), $"element {i}: 0x{a[i]:x4} instead of 0x{w[i]:x4}");
    }

    [TestCase(DType.BF16, "bf16")]
    [TestCase(DType.F16, "f16")]
    public void WideningRecoversTheRoundedValues(DType from, string name)
    {
        var f = KernelFixture.Load("casts");
        var narrow = f.Bytes(name, from.SafetensorsName());
        var wide = new byte[narrow.Length * 2];

        StorageCast.Convert(from, narrow, DType.F32, wide);
        var back = new byte[narrow.Length];
        StorageCast.Convert(DType.F32, wide, from, back);

        Assert.That(back, Is.EqualTo(narrow), "a 16-bit value survives a round trip through fp32");
    }
}
