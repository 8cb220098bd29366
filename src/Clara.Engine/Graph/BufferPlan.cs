namespace Clara.Engine.Graph;

/// <summary>
/// Where each intermediate value lives in one arena. Two values share bytes only if their lifetimes (from the
/// node that writes them to the last node that reads them) do not overlap; outputs live to the end.
/// </summary>
public sealed class BufferPlan
{
    public const int Alignment = 256;

    private readonly long[] _offsetById;

    private BufferPlan(long[] offsetById, int valueCount, long arenaBytes, long unplannedBytes)
    {
        _offsetById = offsetById;
        ValueCount = valueCount;
        ArenaBytes = arenaBytes;
        UnplannedBytes = unplannedBytes;
    }

    /// <summary>
    /// How many values the planned graph had. Offsets are kept by value id, so a plan serves every graph built the
    /// same way (same shapes, same node order), such as the decoder's graph at each decode step.
    /// </summary>
    public int ValueCount { get; }

    public long ArenaBytes { get; }

    /// <summary>The arena offset of an intermediate value.</summary>
    public long OffsetOf(Value value) =>
        value.Id < _offsetById.Length && _offsetById[value.Id] >= 0
            ? _offsetById[value.Id]
            : throw new InvalidOperationException($"{value} has no place in this plan");

    /// <summary>Whether the plan gives <paramref name="value"/> a place.</summary>
    public bool Contains(Value value) => value.Id < _offsetById.Length && _offsetById[value.Id] >= 0;

    /// <summary>What the intermediates would take without reuse, for reports.</summary>
    public long UnplannedBytes { get; }

    public static BufferPlan Create(ComputeGraph graph)
    {
        int count = graph.Values.Count;
        var first = new int[count];
        var last = new int[count];
        Array.Fill(first, -1);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            foreach (var written in node.Outputs)
            {
                // A reshape writes an alias of its input, which is already alive; an accumulating node rewrites a value it also reads.
                var w = written.Root;
                if (w.Kind == ValueKind.Intermediate && first[w.Id] < 0) first[w.Id] = last[w.Id] = i;
            }
            foreach (var read in node.Reads)
            {
                var r = read.Root;
                if (r.Kind != ValueKind.Intermediate) continue;
                if (first[r.Id] < 0) throw new InvalidOperationException($"node {i} ({node}) reads {r} before any node writes it");
                last[r.Id] = i;
            }
        }
        var planned = graph.Values.Where(v => first[v.Id] >= 0).ToList();
        foreach (var v in graph.Values.Where(v => v.IsOutput)) if (first[v.Root.Id] >= 0) last[v.Root.Id] = graph.Nodes.Count;

        var offsets = new long[count];
        Array.Fill(offsets, -1L);
        // Placed blocks sorted by offset; a candidate slides past every block alive at the same time.
        var placed = new List<(long Offset, long Size, int First, int Last)>(planned.Count);
        long arena = 0, unplanned = 0;
        // Bigger values first leaves fewer holes; lifetimes decide which may share.
        foreach (var value in planned.OrderByDescending(v => v.ByteLength).ThenBy(v => first[v.Id]))
        {
            long size = AlignUp(Math.Max(1, value.ByteLength));
            unplanned += size;
            int a = first[value.Id], b = last[value.Id];
            long offset = 0;
            int insertAt = placed.Count;
            for (int i = 0; i < placed.Count; i++)
            {
                var p = placed[i];
                if (p.First > b || a > p.Last) continue;
                if (offset + size <= p.Offset) break;
                offset = Math.Max(offset, p.Offset + p.Size);
            }
            for (int i = 0; i < placed.Count; i++)
                if (placed[i].Offset > offset) { insertAt = i; break; }
            placed.Insert(insertAt, (offset, size, a, b));
            offsets[value.Id] = offset;
            arena = Math.Max(arena, offset + size);
        }
        return new BufferPlan(offsets, count, arena, unplanned);
    }

    private static long AlignUp(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
