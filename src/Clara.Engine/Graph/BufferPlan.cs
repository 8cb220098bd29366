namespace Clara.Engine.Graph;

/// <summary>
/// Where each intermediate value lives in one arena. Two values share bytes only if their lifetimes (from the
/// node that writes them to the last node that reads them) do not overlap; outputs live to the end.
/// </summary>
public sealed class BufferPlan
{
    public const int Alignment = 256;

    private BufferPlan(IReadOnlyDictionary<Value, long> offsets, long arenaBytes, long unplannedBytes)
    {
        Offsets = offsets;
        ArenaBytes = arenaBytes;
        UnplannedBytes = unplannedBytes;
    }

    public IReadOnlyDictionary<Value, long> Offsets { get; }
    public long ArenaBytes { get; }

    /// <summary>What the intermediates would take without reuse, for reports.</summary>
    public long UnplannedBytes { get; }

    public static BufferPlan Create(ComputeGraph graph)
    {
        var first = new Dictionary<Value, int>();
        var last = new Dictionary<Value, int>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node.Writes is { Kind: ValueKind.Intermediate } w && !first.ContainsKey(w)) { first[w] = i; last[w] = i; }
            foreach (var r in node.Reads)
            {
                if (r.Kind != ValueKind.Intermediate) continue;
                if (!first.ContainsKey(r)) throw new InvalidOperationException($"node {i} ({node}) reads {r} before any node writes it");
                last[r] = i;
            }
        }
        foreach (var v in first.Keys.Where(v => v.IsOutput).ToList()) last[v] = graph.Nodes.Count;

        var placed = new List<(long Offset, long Size, int First, int Last)>();
        var offsets = new Dictionary<Value, long>();
        long arena = 0, unplanned = 0;
        // Bigger values first leaves fewer holes; lifetimes decide which may share.
        foreach (var value in first.Keys.OrderByDescending(v => v.ByteLength).ThenBy(v => first[v]))
        {
            long size = AlignUp(Math.Max(1, value.ByteLength));
            unplanned += size;
            int a = first[value], b = last[value];
            var conflicts = placed.Where(p => p.First <= b && a <= p.Last).OrderBy(p => p.Offset).ToList();
            long offset = 0;
            foreach (var c in conflicts)
            {
                if (offset + size <= c.Offset) break;
                offset = Math.Max(offset, c.Offset + c.Size);
            }
            placed.Add((offset, size, a, b));
            offsets[value] = offset;
            arena = Math.Max(arena, offset + size);
        }
        return new BufferPlan(offsets, arena, unplanned);
    }

    private static long AlignUp(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
