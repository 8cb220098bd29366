using Clara.Engine.Tokenization;
using Clara.Engine.Tokenization.Streaming;

namespace Clara.Engine.Tests.Tokenization.Streaming;

/// <summary>Ids fed one at a time through a tokenizer's <see cref="ITextTokenizer.DecodeStream"/>: every delta, in order, and the work it took.</summary>
internal sealed record StreamedDecode(IReadOnlyList<string> Deltas, long PiecesDecoded)
{
    public string Text => string.Concat(Deltas);

    public static StreamedDecode Of(ITextTokenizer tokenizer, IEnumerable<int> ids)
    {
        var stream = tokenizer.DecodeStream();
        var deltas = ids.Select(stream.Add).ToList();
        deltas.Add(stream.Finish());
        return new StreamedDecode(deltas, stream.Work.Pieces);
    }
}
