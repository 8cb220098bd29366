using NUnit.Framework;
using Clara.Convert.Pickle;

namespace Clara.Engine.Tests.Convert;

/// <summary>Opcode-level behaviour on hand-assembled pickles (byte strings as pickletools documents them).</summary>
public class UnpicklerTests
{
    private static object? Load(params byte[] pickle) =>
        new RestrictedUnpickler(new MemoryStream(pickle), "test.pkl", _ => throw new InvalidOperationException("no storages")).Load();

    private static byte[] Bytes(string text) => text.Select(c => (byte)c).ToArray();

    [Test]
    public void MemoAndContainersRoundTrip()
    {
        // {'a': [1, -2, 70000], 'b': ('x', None, True), 'c': <the same list, via BINGET>}
        var result = Load(Bytes("\u0080\u0002}q\u0000(X\u0001\u0000\u0000\u0000a]q\u0001(K\u0001J\u00fe\u00ff\u00ff\u00ffJ\u0070\u0011\u0001\u0000eX\u0001\u0000\u0000\u0000b\u008c\u0001xN\u0088\u0087X\u0001\u0000\u0000\u0000ch\u0001u."));
        var dict = (PickleDict)result!;
        var items = dict.Items.ToDictionary(kv => (string)kv.Key, kv => kv.Value);
        Assert.That(items["a"], Is.EqualTo(new List<object?> { 1L, -2L, 70000L }));
        Assert.That(((PickleTuple)items["b"]!).Items, Is.EqualTo(new object?[] { "x", null, true }));
        Assert.That(items["c"], Is.SameAs(items["a"]));
    }

    [Test]
    public void LongAndFloatOperandsDecode()
    {
        // LONG1 of 2^70 does not fit 64 bits; BINFLOAT is big-endian IEEE 754.
        var big = (System.Numerics.BigInteger)Load(Bytes("\u0080\u0002\u008a\u0009\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0040."))!;
        Assert.That(big, Is.EqualTo(System.Numerics.BigInteger.Pow(2, 70)));
        Assert.That(Load(Bytes("\u0080\u0002\u008a\u0001\u00ff.")), Is.EqualTo(-1L));
        Assert.That(Load(Bytes("\u0080\u0002G\u003f\u00f8\u0000\u0000\u0000\u0000\u0000\u0000.")), Is.EqualTo(1.5));
    }

    [Test]
    public void InstOpcodeIsRefused()
    {
        // INST 'os system' would build an instance by calling the class: protocol 0, never written by torch.
        var e = Assert.Throws<PickleFormatException>(() => Load(Bytes("(S'ls'\nios\nsystem\n.")));
        Assert.That(e!.Message, Does.Contain("not one torch.save writes"));
    }

    [Test]
    public void ExtensionRegistryIsRefused() =>
        Assert.Throws<PickleFormatException>(() => Load(Bytes("\u0080\u0002\u0082\u0001)R.")));

    [Test]
    public void LengthBeyondTheDataIsTruncationNotAnAllocation()
    {
        var e = Assert.Throws<PickleFormatException>(() => Load(Bytes("\u0080\u0002X\u00ff\u00ff\u00ff\u007fabc.")));
        Assert.That(e!.Message, Does.Contain("truncated"));
    }

    [Test]
    public void AllowedCallableWithWrongArgumentsIsRefused()
    {
        var e = Assert.Throws<PickleFormatException>(() => Load(Bytes("\u0080\u0002ccollections\nOrderedDict\nK\u0001\u0085R.")));
        Assert.That(e!.Message, Does.Contain("collections.OrderedDict"));
    }

    [Test]
    public void GlobalIsRefusedEvenIfNeverCalled()
    {
        var e = Assert.Throws<PickleSecurityException>(() => Load(Bytes("\u0080\u0002cbuiltins\ngetattr\n.")));
        Assert.That(e!.GlobalName, Is.EqualTo("builtins.getattr"));
    }
}
