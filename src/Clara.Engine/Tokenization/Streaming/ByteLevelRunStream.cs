using System.Runtime.InteropServices;
using System.Text;

namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// A byte-level BPE run (GPT-2 style) fed one id at a time. Its text is the UTF-8 decoding of the tokens' bytes, read
/// left to right, so a window of ids that starts and ends between decided characters decodes to exactly its part of
/// the whole: ids wait in the window only while its bytes end inside a character, and the window is then decoded by
/// the tokenizer's own decode. The window stays a few ids long, whatever the length of the answer.
/// </summary>
/// <param name="tokenOf">The token string of a model id (its byte-level characters).</param>
/// <param name="decode">The tokenizer's decode of model ids.</param>
internal sealed class ByteLevelRunStream(Func<int, string> tokenOf, Func<List<int>, string> decode, DecodeWork work) : ITokenTextStream
{
    private readonly List<int> _window = [];
    private readonly List<byte> _undecided = [];

    public void Add(int id, StringBuilder output)
    {
        _window.Add(id);
        foreach (char c in tokenOf(id))
            if (ByteLevelAlphabet.TryGetByte(c, out byte b))
                _undecided.Add(b);
        if (EndsInsideCharacter()) return;
        DecodeWindow(output);
    }

    public void Finish(StringBuilder output)
    {
        if (_window.Count > 0) DecodeWindow(output);
    }

    private void DecodeWindow(StringBuilder output)
    {
        work.Count(_window.Count);
        output.Append(decode(_window));
        _window.Clear();
        _undecided.Clear();
    }

    /// <summary>Whether the bytes end with a valid but unfinished character, which a later byte could complete.</summary>
    private bool EndsInsideCharacter()
    {
        var bytes = CollectionsMarshal.AsSpan(_undecided);
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out _, out int consumed);
            if (status == System.Buffers.OperationStatus.NeedMoreData) return true;
            bytes = bytes[Math.Max(consumed, 1)..];
        }
        return false;
    }
}
