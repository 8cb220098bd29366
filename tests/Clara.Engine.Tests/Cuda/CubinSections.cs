using System.Buffers.Binary;
using System.Text;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// The section sizes of a CUBIN (an ELF64 little-endian image) by name. A kernel's static shared memory is the
/// size of its NOBITS section <c>.nv.shared.&lt;entry point&gt;</c>, which is what the driver reports as
/// CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: read here without a GPU.
/// </summary>
internal static class CubinSections
{
    public static Dictionary<string, long> Sizes(byte[] elf)
    {
        if (elf.Length < 64 || !elf.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF image");
        long table = BinaryPrimitives.ReadInt64LittleEndian(elf.AsSpan(0x28));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
        int namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3E));
        ReadOnlySpan<byte> Header(int i) => elf.AsSpan(checked((int)(table + (long)i * entrySize)), entrySize);
        long namesOffset = BinaryPrimitives.ReadInt64LittleEndian(Header(namesIndex)[0x18..]);

        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var header = Header(i);
            int nameAt = checked((int)(namesOffset + BinaryPrimitives.ReadUInt32LittleEndian(header)));
            var name = elf.AsSpan(nameAt);
            sizes[Encoding.ASCII.GetString(name[..name.IndexOf((byte)0)])] = BinaryPrimitives.ReadInt64LittleEndian(header[0x20..]);
        }
        return sizes;
    }

    /// <summary>
    /// What the driver reports as a kernel's static shared memory for a <c>.nv.shared</c> section of
    /// <paramref name="sectionBytes"/>: on sm_90 the section also counts the 1 KiB the hardware reserves per block, which
    /// the driver leaves out (an H200 with driver 580 reported 256 B for a 1 280 B section); sm_80's section is the size.
    /// </summary>
    public static int DriverStaticBytes(int sectionBytes, int architecture) =>
        architecture >= 90 && sectionBytes >= ReservedPerBlockSm90 ? sectionBytes - ReservedPerBlockSm90 : sectionBytes;

    private const int ReservedPerBlockSm90 = 1024;

    /// <summary>The static shared memory of <paramref name="entryPoint"/> in <paramref name="cubin"/> (0 when it has none).</summary>
    public static int StaticSharedBytes(byte[] cubin, string entryPoint) =>
        Sizes(cubin).TryGetValue(".nv.shared." + entryPoint, out long size) ? checked((int)size) : 0;
}
