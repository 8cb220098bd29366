namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// GPT-2's byte-level alphabet read backwards: the character that stands for each byte in a byte-level token
/// (printable Latin-1 for itself, the other 68 bytes U+0100 onwards in byte order) → the byte.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly Dictionary<char, byte> ByteOf = Build();

    public static bool TryGetByte(char c, out byte value) => ByteOf.TryGetValue(c, out value);

    private static Dictionary<char, byte> Build()
    {
        var map = new Dictionary<char, byte>(256);
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[printable ? (char)b : (char)(256 + shifted++)] = (byte)b;
        }
        return map;
    }
}
