namespace Clara.Engine.Pipeline;

/// <summary>
/// The compressor's input rows exactly as the reference builds them (spec §2): <c>&lt;ENC&gt; &lt;s&gt; text &lt;/s&gt;</c>
/// keeping its first L0 tokens, left-padded to L0 with the pad id (mask 0), then the n_mem memory tokens. Positions
/// run 0…L−1 over the padded row, so every document's memory tokens sit at the same positions.
/// </summary>
/// <remarks>
/// Inference may drop leading padding (<see cref="TrimmedTextLength"/>): a padded position is masked as a key, so no
/// kept position ever sees it, and the kept positions keep their position ids, so their states are the same maths.
/// A 16-token question fills 19 of the 259 text positions of a 256-token document's row; without its padding its
/// encoder forward is about six times smaller.
/// </remarks>
public sealed class EncoderLayout(ClaraConfig config)
{
    /// <summary>Trimmed text parts are whole multiples of this (or all of L0), so texts of similar length share a shape and a batch.</summary>
    public const int TrimQuantum = 32;

    public ClaraConfig Config { get; } = config;
    public int Length => Config.EncoderLength;

    /// <summary>How many of a document's own tokens a row can keep: L0 less &lt;ENC&gt; and &lt;s&gt;.</summary>
    public static int DocumentTokensKept(ClaraConfig config) => Math.Max(0, config.EncoderTextLength - 2);

    /// <summary>
    /// The text part <paramref name="text"/>'s row needs when leading padding is dropped: its kept tokens
    /// (<c>&lt;ENC&gt; &lt;s&gt; text &lt;/s&gt;</c>, at most L0) rounded up to <see cref="TrimQuantum"/>, at most L0. It
    /// depends on the text alone, so a text's row (and its memory) is the same whichever texts share its batch.
    /// </summary>
    public int TrimmedTextLength(IReadOnlyList<int> text)
    {
        int l0 = Config.EncoderTextLength;
        int kept = Math.Min(text.Count + 3, l0);
        return Math.Min(l0, (kept + TrimQuantum - 1) / TrimQuantum * TrimQuantum);
    }

    /// <summary>Fills row-major ids/mask/positions [texts, Length].</summary>
    public (int[] Ids, int[] Mask, int[] Positions) Build(IReadOnlyList<IReadOnlyList<int>> texts) => Build(texts, Config.EncoderTextLength);

    /// <summary>
    /// Rows whose text part is the last <paramref name="textLength"/> of the L0 positions (the first L0 − textLength,
    /// padding in every text given, dropped): ids/mask/positions [texts, textLength + n_mem], positions unchanged.
    /// </summary>
    public (int[] Ids, int[] Mask, int[] Positions) Build(IReadOnlyList<IReadOnlyList<int>> texts, int textLength)
    {
        int l0 = Config.EncoderTextLength, n = texts.Count;
        if (textLength < 1 || textLength > l0) throw new ArgumentOutOfRangeException(nameof(textLength), $"a text part of {textLength} positions is outside [1, {l0}]");
        int skipped = l0 - textLength, length = textLength + Config.MemoryTokens;
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
            int kept = Math.Min(row.Count, l0), padding = textLength - kept, o = d * length;
            if (padding < 0) throw new ArgumentException($"text {d} keeps {kept} tokens, more than the {textLength} positions asked for", nameof(textLength));
            for (int t = 0; t < padding; t++) ids[o + t] = Config.PadTokenId;
            for (int t = 0; t < kept; t++) { ids[o + padding + t] = row[t]; mask[o + padding + t] = 1; }
            for (int m = 0; m < Config.MemoryTokens; m++) { ids[o + textLength + m] = Config.MemTokenIds[m]; mask[o + textLength + m] = 1; }
            for (int t = 0; t < length; t++) positions[o + t] = skipped + t;
        }
        return (ids, mask, positions);
    }
}
