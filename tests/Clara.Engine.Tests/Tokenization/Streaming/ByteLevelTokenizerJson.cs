using System.Text.Json.Nodes;

namespace Clara.Engine.Tests.Tokenization.Streaming;

/// <summary>
/// A GPT-2-style byte-level tokenizer.json written by the test: the 256 byte characters (GPT-2's table: printable
/// Latin-1 for itself, the other bytes from U+0100 in order), a few merges (among them the two bytes of "é" and of
/// "中"'s first two), a special end-of-text token and a non-special added token.
/// </summary>
internal static class ByteLevelTokenizerJson
{
    public const string EndOfText = "<|endoftext|>";
    public const string Added = "<extra>";

    public static void Write(string directory)
    {
        var alphabet = Alphabet();
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[alphabet[b].ToString()] = b;
        string[] merges = ["Ġ t", "h e", "Ġt he", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", Pair(alphabet, "é"), Pair(alphabet, "中")];
        int next = 256;
        foreach (var merge in merges) vocab[merge.Replace(" ", "", StringComparison.Ordinal)] = next++;
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true };
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = next, ["content"] = EndOfText, ["special"] = true },
                new JsonObject { ["id"] = next + 1, ["content"] = Added, ["special"] = false }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = byteLevel,
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["unk_token"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["vocab"] = vocab,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
            },
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), json.ToJsonString());
    }

    /// <summary>The merge of the first two UTF-8 bytes of <paramref name="character"/>.</summary>
    private static string Pair(char[] alphabet, string character)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(character);
        return $"{alphabet[bytes[0]]} {alphabet[bytes[1]]}";
    }

    private static char[] Alphabet()
    {
        var alphabet = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
            alphabet[b] = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE ? (char)b : (char)(256 + shifted++);
        return alphabet;
    }
}
