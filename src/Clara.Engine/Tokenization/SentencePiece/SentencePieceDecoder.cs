using System.Text;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// sentencepiece's DecodeIds: control pieces vanish, the unknown piece reads " ⁇ " (or the model's unk_surface),
/// runs of byte pieces become their UTF-8 text with U+FFFD for each byte that starts no valid character, "▁"
/// becomes a space, and the "▁" of the first visible piece is dropped when the model adds a dummy prefix.
/// </summary>
internal sealed class SentencePieceDecoder(SentencePieceVocabulary vocabulary, NormalizerSettings normalizer, string unknownSurface)
{
    public const string DefaultUnknownSurface = " \u2047 ";

    /// <summary>A decode of one run fed id by id, whose output over the whole run is <see cref="Decode"/>'s.</summary>
    public SentencePieceRunStream StartRun(Streaming.DecodeWork work) => new(vocabulary, normalizer, unknownSurface, work);

    public string Decode(IReadOnlyList<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        bool expectBosSpace = true, bosSpaceSeen = false;
        foreach (int id in ids)
        {
            var type = vocabulary.Types[id];
            if (type == PieceType.Byte)
            {
                BytePiece.TryParse(vocabulary.Pieces[id], out byte b);
                bytes.Add(b);
                continue;
            }
            FlushBytes(bytes, text);
            if (bosSpaceSeen || text.Length > 0) expectBosSpace = false;
            bosSpaceSeen = false;
            switch (type)
            {
                case PieceType.Control: break;
                case PieceType.Unknown: text.Append(unknownSurface); break;
                default:
                    var piece = vocabulary.Pieces[id].AsSpan();
                    if (expectBosSpace && (normalizer.AddDummyPrefix || normalizer.RemoveExtraWhitespaces) && piece.Length > 0
                        && piece[0] == SentencePieceNormalizer.SpaceSymbol)
                    {
                        piece = piece[1..];
                        bosSpaceSeen = !normalizer.RemoveExtraWhitespaces;
                    }
                    foreach (char c in piece) text.Append(c == SentencePieceNormalizer.SpaceSymbol ? ' ' : c);
                    break;
            }
        }
        FlushBytes(bytes, text);
        return text.ToString();
    }

    /// <summary>Valid UTF-8 sequences become their characters; each byte that starts none becomes U+FFFD.</summary>
    private static void FlushBytes(List<byte> bytes, StringBuilder text)
    {
        if (bytes.Count == 0) return;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        while (!span.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(span, out var rune, out int consumed);
            if (status != System.Buffers.OperationStatus.Done) { text.Append('\uFFFD'); span = span[1..]; continue; }
            text.Append(rune.ToString());
            span = span[consumed..];
        }
        bytes.Clear();
    }
}
