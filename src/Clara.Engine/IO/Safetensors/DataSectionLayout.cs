using Clara.Engine.Tensors;

namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// Proves that the declared tensors tile the data section exactly, as the safetensors spec demands: each
/// span matches its shape × dtype, lies inside the data, and together they leave no hole, overlap or leftover
/// bytes. Once this passes, every <see cref="SafetensorsEntry"/> can be read without further bounds checks.
/// </summary>
internal static class DataSectionLayout
{
    public static IReadOnlyList<SafetensorsEntry> Validate(string path, IReadOnlyList<DeclaredTensor> tensors, long dataStart, long dataLength)
    {
        foreach (var t in tensors) ValidateSpan(path, t, dataLength);
        ValidateTiling(path, tensors, dataLength);

        var entries = new SafetensorsEntry[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            // Cannot overflow: Begin ≤ dataLength and dataStart + dataLength is the file length.
            entries[i] = new SafetensorsEntry(t.Name, t.DType, t.Shape, dataStart + t.Begin, t.ByteLength);
        }
        return entries;
    }

    private static void ValidateSpan(string path, DeclaredTensor t, long dataLength)
    {
        if (t.Begin > t.End)
            throw new SafetensorsFormatException(path, $"data_offsets [{t.Begin}, {t.End}] have begin > end", t.Name);
        if (t.End > dataLength)
            throw new SafetensorsFormatException(path,
                $"data_offsets [{t.Begin}, {t.End}] extend past the end of the data section ({dataLength} bytes)", t.Name);
        long span = t.End - t.Begin;
        if (span != t.ByteLength)
            throw new SafetensorsFormatException(path,
                $"shape {t.Shape} of {t.DType.SafetensorsName()} needs {t.ByteLength} bytes but data_offsets [{t.Begin}, {t.End}] span {span} bytes",
                t.Name);
    }

    private static void ValidateTiling(string path, IReadOnlyList<DeclaredTensor> tensors, long dataLength)
    {
        var byOffset = tensors.ToArray();
        // Zero-length tensors sort before a tensor starting at the same offset, so they never read as overlaps.
        Array.Sort(byOffset, (a, b) =>
        {
            int c = a.Begin.CompareTo(b.Begin);
            if (c == 0) c = a.End.CompareTo(b.End);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });

        long covered = 0;
        DeclaredTensor? previous = null;
        foreach (var t in byOffset)
        {
            if (t.Begin > covered)
            {
                string problem = previous is { } p
                    ? $"hole of {t.Begin - covered} bytes between tensor '{p.Name}' (ends at {covered}) and this tensor (begins at {t.Begin})"
                    : $"hole of {t.Begin} bytes before the first tensor (data_offsets must start at 0)";
                throw new SafetensorsFormatException(path, problem, t.Name);
            }
            if (t.Begin < covered)
            {
                var p = previous!.Value;
                throw new SafetensorsFormatException(path,
                    $"data_offsets [{t.Begin}, {t.End}] overlap tensor '{p.Name}' [{p.Begin}, {p.End}]", t.Name);
            }
            covered = t.End;
            previous = t;
        }
        if (covered != dataLength)
        {
            string after = previous is { } last ? $"after the last tensor '{last.Name}'" : "with no tensors declared";
            throw new SafetensorsFormatException(path, $"{dataLength - covered} bytes of data left over {after}");
        }
    }
}
