namespace Clara.Engine.Pipeline;

/// <summary>
/// The compressor's input rows exactly as the reference builds them (spec §2): <c>&lt;ENC&gt; &lt;s&gt; text &lt;/s&gt;</c>
/// keeping its first L0 tokens, left-padded to L0 with the pad id (mask 0), then the n_mem memory tokens. Positions
/// run 0…L−1 over the padded row, so every document's memory tokens sit at the same positions.
/// </summary>
public sealed class EncoderLayout(ClaraConfig config)
{
    public ClaraConfig Config { get; } = config;
    public int Length => Config.EncoderLength;

    /// <summary>How many of a document's own tokens a row can keep: L0 less &lt;ENC&gt; and &lt;s&gt;.</summary>
    public static int DocumentTokensKept(ClaraConfig config) => Math.Max(0, config.EncoderTextLength - 2);

    /// <summary>Fills row-major ids/mask/positions [texts, Length].</summary>
    public (int[] Ids, int[] Mask, int[] Positions) Build(IReadOnlyList<IReadOnlyList<int>> texts)
    {
        int l0 = Config.EncoderTextLength, length = Length, n = texts.Count;
        var ids = new int[n * length];
        var mask = new int[n * length];
        var positions = new int[n * length];
        var row = new List<int>(l0 + 2);
        for (int d = 0; d < n; d++)
        {
            row.Clear();
            row.Add(Config.EncTokenId);
            row.Add(Config.BosTokenId);
            row.AddRange(texts[d]);
            row.Add(Config.EosTokenId);
            int kept = Math.Min(row.Count, l0), padding = l0 - kept, o = d * length;
            for (int t = 0; t < padding; t++) ids[o + t] = Config.PadTokenId;
            for (int t = 0; t < kept; t++) { ids[o + padding + t] = row[t]; mask[o + padding + t] = 1; }
            for (int m = 0; m < Config.MemoryTokens; m++) { ids[o + l0 + m] = Config.MemTokenIds[m]; mask[o + l0 + m] = 1; }
            for (int t = 0; t < length; t++) positions[o + t] = t;
        }
        return (ids, mask, positions);
    }
}
