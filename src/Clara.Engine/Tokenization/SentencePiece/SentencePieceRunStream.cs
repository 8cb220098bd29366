using System.Runtime.InteropServices;
using System.Text;
using Clara.Engine.Tokenization.Streaming;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// <see cref="SentencePieceDecoder.Decode"/> of one run of model ids, fed one id at a time. Its state is the decoder's
/// loop state (whether the first visible piece's "▁" is still to drop, whether the run has produced text) plus the
/// byte pieces of a character not yet complete. Bytes are decoded as soon as they are decided: UTF-8 is read left to
/// right, so a complete character, or a byte no later byte can make valid, reads the same whatever follows; only a
/// valid but unfinished prefix waits, and becomes U+FFFD per byte when a non-byte piece or the end comes first.
/// </summary>
internal sealed class SentencePieceRunStream(SentencePieceVocabulary vocabulary, NormalizerSettings normalizer, string unknownSurface,
    DecodeWork work) : ITokenTextStream
{
    private readonly List<byte> _bytes = [];
    private bool _expectBosSpace = true, _bosSpaceSeen, _produced;

    public void Add(int id, StringBuilder output)
    {
        work.Count(1);
        var type = vocabulary.Types[id];
        if (type == PieceType.Byte)
        {
            BytePiece.TryParse(vocabulary.Pieces[id], out byte b);
            _bytes.Add(b);
            DecodeBytes(output, runEnds: false);
            return;
        }
        DecodeBytes(output, runEnds: true);
        if (_bosSpaceSeen || _produced) _expectBosSpace = false;
        _bosSpaceSeen = false;
        switch (type)
        {
            case PieceType.Control: break;
            case PieceType.Unknown: Append(output, unknownSurface); break;
            default:
                var piece = vocabulary.Pieces[id].AsSpan();
                if (_expectBosSpace && (normalizer.AddDummyPrefix || normalizer.RemoveExtraWhitespaces) && piece.Length > 0
                    && piece[0] == SentencePieceNormalizer.SpaceSymbol)
                {
                    piece = piece[1..];
                    _bosSpaceSeen = !normalizer.RemoveExtraWhitespaces;
                }
                foreach (char c in piece) Append(output, c == SentencePieceNormalizer.SpaceSymbol ? ' ' : c);
                break;
        }
    }

    public void Finish(StringBuilder output) => DecodeBytes(output, runEnds: true);

    /// <summary>Decodes the pending bytes that are decided; with <paramref name="runEnds"/>, all of them.</summary>
    private void DecodeBytes(StringBuilder output, bool runEnds)
    {
        var span = CollectionsMarshal.AsSpan(_bytes);
        int used = 0;
        Span<char> chars = stackalloc char[2];
        while (used < span.Length)
        {
            var status = Rune.DecodeFromUtf8(span[used..], out var rune, out int consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                int length = rune.EncodeToUtf16(chars);
                foreach (char c in chars[..length]) Append(output, c);
                used += consumed;
            }
            else if (status == System.Buffers.OperationStatus.NeedMoreData && !runEnds)
            {
                break;
            }
            else
            {
                // As the full decode: U+FFFD for the byte that starts no character, then on from the next byte.
                Append(output, '\uFFFD');
                used++;
            }
        }
        _bytes.RemoveRange(0, used);
    }

    private void Append(StringBuilder output, char c)
    {
        output.Append(c);
        _produced = true;
    }

    private void Append(StringBuilder output, string text)
    {
        output.Append(text);
        _produced |= text.Length > 0;
    }
}
