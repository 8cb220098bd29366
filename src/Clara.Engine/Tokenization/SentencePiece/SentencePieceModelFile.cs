using System.Buffers.Binary;
using System.Text;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>The piece types of sentencepiece_model.proto (values as in the proto).</summary>
internal enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>The segmentation algorithms of sentencepiece_model.proto (TrainerSpec.model_type).</summary>
internal enum SegmentationModel { Unigram = 1, Bpe = 2, Word = 3, Char = 4 }

internal sealed record ModelPiece(string Text, float Score, PieceType Type);

/// <summary>NormalizerSpec: how text becomes the string the segmentation runs over.</summary>
internal sealed record NormalizerSettings(string Name, bool HasCharsMap, bool AddDummyPrefix, bool RemoveExtraWhitespaces, bool EscapeWhitespaces);

/// <summary>Everything of a <c>tokenizer.model</c> that decides encoding and decoding.</summary>
internal sealed record SentencePieceModelData(
    IReadOnlyList<ModelPiece> Pieces, SegmentationModel Model, bool ByteFallback, bool TreatWhitespaceAsSuffix, string? UnknownSurface,
    NormalizerSettings Normalizer, bool HasDenormalizer, string BosPiece, string EosPiece);

/// <summary>
/// Reads a SentencePiece ModelProto (proto2 wire format) without a protobuf library: only the fields listed in
/// <see cref="SentencePieceModelData"/>; every other field is skipped, as protobuf readers do. Defaults are the
/// proto's (model_type UNIGRAM, add_dummy_prefix/remove_extra_whitespaces/escape_whitespaces true).
/// </summary>
internal static class SentencePieceModelFile
{
    public static SentencePieceModelData Read(byte[] bytes, string path)
    {
        var pieces = new List<ModelPiece>();
        var model = SegmentationModel.Unigram;
        bool byteFallback = false, suffix = false;
        string? unknownSurface = null;
        string bos = "<s>", eos = "</s>";
        var normalizer = new NormalizerSettings("", false, true, true, true);
        bool denormalizer = false;
        var reader = new ProtoReader(bytes, path, "ModelProto");
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2): pieces.Add(ReadPiece(reader.Message("pieces"), pieces.Count)); break;
                case (2, 2):
                    var trainer = reader.Message("trainer_spec");
                    while (trainer.Next(out int f, out int w))
                    {
                        switch (f, w)
                        {
                            case (3, 0):
                                long type = trainer.Varint();
                                model = Enum.IsDefined(typeof(SegmentationModel), (int)type) ? (SegmentationModel)type
                                    : throw new InvalidDataException($"{path}: trainer_spec.model_type {type} is not a SentencePiece model type");
                                break;
                            case (24, 0): suffix = trainer.Varint() != 0; break;
                            case (35, 0): byteFallback = trainer.Varint() != 0; break;
                            case (44, 2): unknownSurface = trainer.String(); break;
                            case (46, 2): bos = trainer.String() is { Length: > 0 } b ? b : bos; break;
                            case (47, 2): eos = trainer.String() is { Length: > 0 } e ? e : eos; break;
                            default: trainer.Skip(w); break;
                        }
                    }
                    break;
                case (3, 2): normalizer = ReadNormalizer(reader.Message("normalizer_spec"), normalizer); break;
                case (5, 2):
                    var denormalizerSpec = ReadNormalizer(reader.Message("denormalizer_spec"), new NormalizerSettings("", false, true, true, true));
                    denormalizer = denormalizerSpec.HasCharsMap;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{path}: the model has no pieces");
        return new SentencePieceModelData(pieces, model, byteFallback, suffix, unknownSurface, normalizer, denormalizer, bos, eos);
    }

    private static ModelPiece ReadPiece(ProtoReader reader, int index)
    {
        string? text = null;
        float score = 0;
        var type = PieceType.Normal;
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2): text = reader.String(); break;
                case (2, 5): score = reader.Float(); break;
                case (3, 0):
                    long value = reader.Varint();
                    type = Enum.IsDefined(typeof(PieceType), (int)value) ? (PieceType)value
                        : throw reader.Error($"pieces[{index}].type {value} is not a piece type");
                    break;
                default: reader.Skip(wire); break;
            }
        }
        if (string.IsNullOrEmpty(text)) throw reader.Error($"pieces[{index}] has no text");
        return new ModelPiece(text, score, type);
    }

    private static NormalizerSettings ReadNormalizer(ProtoReader reader, NormalizerSettings settings)
    {
        while (reader.Next(out int field, out int wire))
        {
            settings = (field, wire) switch
            {
                (1, 2) => settings with { Name = reader.String() },
                (2, 2) => settings with { HasCharsMap = reader.Bytes().Length > 0 },
                (3, 0) => settings with { AddDummyPrefix = reader.Varint() != 0 },
                (4, 0) => settings with { RemoveExtraWhitespaces = reader.Varint() != 0 },
                (5, 0) => settings with { EscapeWhitespaces = reader.Varint() != 0 },
                _ => Skipped(reader, wire, settings),
            };
        }
        return settings;
    }

    private static NormalizerSettings Skipped(ProtoReader reader, int wire, NormalizerSettings settings)
    {
        reader.Skip(wire);
        return settings;
    }

    /// <summary>One message of the wire format; errors name the file, the message and the byte offset.</summary>
    private sealed class ProtoReader(byte[] bytes, string path, string message, int start = 0, int end = -1)
    {
        private readonly int _end = end < 0 ? bytes.Length : end;
        private int _position = start;

        public InvalidDataException Error(string what) => new($"{path}: {message} at byte {_position}: {what}");

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_position >= _end) return false;
            ulong tag = (ulong)Varint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            if (field == 0) throw Error("field number 0");
            return true;
        }

        public long Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _end) throw Error("truncated varint");
                byte b = bytes[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return (long)value;
            }
            throw Error("varint longer than ten bytes");
        }

        public float Float()
        {
            if (_end - _position < 4) throw Error("truncated float");
            float value = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(_position, 4));
            _position += 4;
            return value;
        }

        public ReadOnlySpan<byte> Bytes()
        {
            long length = Varint();
            if (length < 0 || length > _end - _position) throw Error($"length {length} runs past the end of the message");
            var span = bytes.AsSpan(_position, (int)length);
            _position += (int)length;
            return span;
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public ProtoReader Message(string name)
        {
            long length = Varint();
            if (length < 0 || length > _end - _position) throw Error($"{name}: length {length} runs past the end of the message");
            var inner = new ProtoReader(bytes, path, name, _position, _position + (int)length);
            _position += (int)length;
            return inner;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Bytes(); break;
                case 5: Advance(4); break;
                default: throw Error($"wire type {wire} is not supported");
            }
        }

        private void Advance(int count)
        {
            if (_end - _position < count) throw Error("truncated field");
            _position += count;
        }
    }
}
