using System.Buffers.Binary;
using System.Text;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// The defined symbols of an ELF64 little-endian shared object's dynamic symbol table (.dynsym), read
/// directly from the file: an independent check of what the binding tables resolve through dlsym.
/// </summary>
internal static class ElfDynamicSymbols
{
    private const uint SectionDynamicSymbols = 11; // SHT_DYNSYM

    public static HashSet<string> Read(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || !elf.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        long sectionTable = BinaryPrimitives.ReadInt64LittleEndian(elf.AsSpan(0x28));
        int sectionSize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));

        var symbols = new HashSet<string>(StringComparer.Ordinal);
        for (int s = 0; s < sectionCount; s++)
        {
            var header = elf.AsSpan((int)(sectionTable + (long)s * sectionSize), sectionSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != SectionDynamicSymbols) continue;
            long offset = BinaryPrimitives.ReadInt64LittleEndian(header[0x18..]);
            long size = BinaryPrimitives.ReadInt64LittleEndian(header[0x20..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            long entrySize = BinaryPrimitives.ReadInt64LittleEndian(header[0x38..]);
            var strings = elf.AsSpan((int)(sectionTable + (long)link * sectionSize), sectionSize);
            long stringsOffset = BinaryPrimitives.ReadInt64LittleEndian(strings[0x18..]);

            for (long e = offset; e + entrySize <= offset + size; e += entrySize)
            {
                var symbol = elf.AsSpan((int)e, (int)entrySize);
                uint name = BinaryPrimitives.ReadUInt32LittleEndian(symbol);
                ushort sectionIndex = BinaryPrimitives.ReadUInt16LittleEndian(symbol[6..]);
                if (name == 0 || sectionIndex == 0) continue; // unnamed or undefined (imported)
                var text = elf.AsSpan((int)(stringsOffset + name));
                symbols.Add(Encoding.ASCII.GetString(text[..text.IndexOf((byte)0)]));
            }
        }
        return symbols;
    }

    /// <summary>The file the dynamic loader mapped for a library loaded as <paramref name="fileName"/> (from /proc/self/maps).</summary>
    public static string? MappedPath(string fileName)
    {
        if (!File.Exists("/proc/self/maps")) return null;
        string stem = fileName.Split(".so")[0] + ".so";
        return File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 6 && parts[5].StartsWith('/'))
            .Select(parts => parts[5])
            .FirstOrDefault(path => Path.GetFileName(path).StartsWith(stem, StringComparison.Ordinal));
    }
}
