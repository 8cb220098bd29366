using System.Text;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>
/// Writes a minimal SentencePiece ModelProto (sentencepiece_model.proto, proto2) so tests can build a tokenizer
/// from a vocabulary they choose: pieces (field 1: piece, score, type), trainer_spec (field 2: BPE, byte
/// fallback, unk/bos/eos/pad ids) and normalizer_spec (field 3: identity, dummy prefix, no whitespace folding).
/// </summary>
internal static class SentencePieceModelWriter
{
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    public sealed record Piece(string Text, float Score, PieceType Type);

    /// <summary>The Llama layout: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte pieces, then <paramref name="normal"/> with falling scores.</summary>
    public static List<Piece> LlamaStylePieces(IEnumerable<string> normal)
    {
        var pieces = new List<Piece> { new("<unk>", 0, PieceType.Unknown), new("<s>", 0, PieceType.Control), new("</s>", 0, PieceType.Control) };
        for (int b = 0; b < 256; b++) pieces.Add(new($"<0x{b:X2}>", 0, PieceType.Byte));
        // BPE merges the adjacent pair whose result has the highest score: earlier pieces merge first.
        pieces.AddRange(normal.Select((p, i) => new Piece(p, -i, PieceType.Normal)));
        return pieces;
    }

    public static byte[] Write(IReadOnlyList<Piece> pieces)
    {
        var model = new MemoryStream();
        foreach (var piece in pieces)
        {
            var message = new MemoryStream();
            WriteString(message, 1, piece.Text);
            WriteFloat(message, 2, piece.Score);
            WriteVarintField(message, 3, (long)piece.Type);
            WriteBytes(model, 1, message.ToArray());
        }
        var trainer = new MemoryStream();
        WriteVarintField(trainer, 3, 2);   // model_type = BPE
        WriteVarintField(trainer, 35, 1);  // byte_fallback
        WriteVarintField(trainer, 40, 0);  // unk_id
        WriteVarintField(trainer, 41, 1);  // bos_id
        WriteVarintField(trainer, 42, 2);  // eos_id
        WriteVarintField(trainer, 43, -1); // pad_id: none
        WriteBytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        WriteString(normalizer, 1, "identity");
        WriteVarintField(normalizer, 3, 1); // add_dummy_prefix
        WriteVarintField(normalizer, 4, 0); // remove_extra_whitespaces
        WriteVarintField(normalizer, 5, 1); // escape_whitespaces
        WriteBytes(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)((field << 3) | wireType));

    // Negative int32 values are sign-extended to 64 bits, as protobuf encodes them (ten bytes).
    private static void WriteVarintField(Stream s, int field, long value) { WriteTag(s, field, 0); WriteVarint(s, (ulong)value); }

    private static void WriteFloat(Stream s, int field, float value)
    {
        WriteTag(s, field, 5);
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        s.Write(bytes);
    }

    private static void WriteString(Stream s, int field, string value) => WriteBytes(s, field, Encoding.UTF8.GetBytes(value));

    private static void WriteBytes(Stream s, int field, byte[] value)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)value.Length);
        s.Write(value);
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80) { s.WriteByte((byte)(value | 0x80)); value >>= 7; }
        s.WriteByte((byte)value);
    }
}
