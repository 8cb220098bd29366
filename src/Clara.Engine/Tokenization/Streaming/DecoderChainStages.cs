using System.Text;

namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// One step of a tokenizer.json decoder (<see cref="HfDecoderChain"/>) fed one token string at a time. Before a Fuse
/// step each pushed string is one token of the list the step sees; after it ("fused") the pushed strings are
/// consecutive pieces of the one token Fuse made, so a step works on the whole text and holds back what a later piece
/// could still change. What a step passes on over a whole stream is the list step's result, concatenated.
/// </summary>
internal abstract class DecoderChainStage
{
    public abstract void Push(string token, StringBuilder output);

    public abstract void Finish(StringBuilder output);
}

/// <summary>The end of the chain: Hugging Face concatenates the final tokens.</summary>
internal sealed class ConcatenateStage : DecoderChainStage
{
    public override void Push(string token, StringBuilder output) => output.Append(token);

    public override void Finish(StringBuilder output) { }
}

/// <summary>Fuse: the tokens become one, which the steps after it see piece by piece (built with fused: true).</summary>
internal sealed class FuseStage(DecoderChainStage next) : DecoderChainStage
{
    public override void Push(string token, StringBuilder output) => next.Push(token, output);

    public override void Finish(StringBuilder output) => next.Finish(output);
}

/// <summary>Replace: per token; in the fused text, a match may straddle two pieces, so the last pattern length − 1 characters wait.</summary>
internal sealed class ReplaceStage(string pattern, string content, bool fused, DecoderChainStage next) : DecoderChainStage
{
    private string _held = "";

    public override void Push(string token, StringBuilder output)
    {
        if (!fused)
        {
            next.Push(token.Replace(pattern, content, StringComparison.Ordinal), output);
            return;
        }
        string text = _held + token;
        var done = new StringBuilder();
        int start = 0;
        for (int match; (match = text.IndexOf(pattern, start, StringComparison.Ordinal)) >= 0; start = match + pattern.Length)
            done.Append(text, start, match - start).Append(content);
        int keep = Math.Min(pattern.Length - 1, text.Length - start);
        done.Append(text, start, text.Length - start - keep);
        _held = text[^keep..];
        next.Push(done.ToString(), output);
    }

    public override void Finish(StringBuilder output)
    {
        if (_held.Length > 0) next.Push(_held, output);
        _held = "";
        next.Finish(output);
    }
}

/// <summary>
/// Strip: per token; in the fused text, up to <c>start</c> leading characters go as they come, and a trailing run of
/// up to <c>stop</c> stripped characters waits until a later character shows it was not trailing.
/// </summary>
internal sealed class StripStage(char strip, int start, int stop, bool fused, DecoderChainStage next) : DecoderChainStage
{
    private int _leadingStripped, _trailingHeld;
    private bool _pastLeading;

    public override void Push(string token, StringBuilder output)
    {
        if (!fused)
        {
            next.Push(HfDecoderChain.Strip(token, strip, start, stop), output);
            return;
        }
        var kept = new StringBuilder(token.Length + _trailingHeld);
        foreach (char c in token)
        {
            if (!_pastLeading && c == strip && _leadingStripped < start) { _leadingStripped++; continue; }
            _pastLeading = true;
            if (c == strip && stop > 0)
            {
                // Only the last `stop` of a trailing run can be stripped; earlier ones are kept for sure.
                if (_trailingHeld == stop) kept.Append(strip);
                else _trailingHeld++;
                continue;
            }
            kept.Append(strip, _trailingHeld).Append(c);
            _trailingHeld = 0;
        }
        next.Push(kept.ToString(), output);
    }

    public override void Finish(StringBuilder output)
    {
        _trailingHeld = 0;  // they were trailing: stripped
        next.Finish(output);
    }
}

/// <summary>Metaspace: markers become spaces, except in the first token (the whole text once fused), where they go.</summary>
internal sealed class MetaspaceStage(char marker, bool prepended, bool fused, DecoderChainStage next) : DecoderChainStage
{
    private int _index;

    public override void Push(string token, StringBuilder output)
    {
        bool first = fused || _index++ == 0;
        next.Push(first && prepended ? token.Replace(marker.ToString(), "", StringComparison.Ordinal) : token.Replace(marker, ' '), output);
    }

    public override void Finish(StringBuilder output) => next.Finish(output);
}

/// <summary>
/// ByteFallback: a run of byte tokens becomes one token, judged whole (invalid anywhere → U+FFFD per byte), so the run
/// waits for its end. In the fused text the one token is a byte piece only if it is exactly "&lt;0xHH&gt;": the text
/// waits until it is longer than that.
/// </summary>
internal sealed class ByteFallbackStage(bool fused, DecoderChainStage next) : DecoderChainStage
{
    private const int BytePieceLength = 6;
    private readonly List<byte> _run = [];
    private readonly StringBuilder _fusedStart = new();
    private bool _fusedPassing;

    public override void Push(string token, StringBuilder output)
    {
        if (fused)
        {
            PushFused(token, output);
            return;
        }
        if (BytePiece.TryParse(token, out byte b))
        {
            _run.Add(b);
            return;
        }
        EndRun(output);
        next.Push(token, output);
    }

    public override void Finish(StringBuilder output)
    {
        if (fused && !_fusedPassing)
        {
            string text = _fusedStart.ToString();
            if (BytePiece.TryParse(text, out byte b)) _run.Add(b);
            else next.Push(text, output);
        }
        EndRun(output);
        next.Finish(output);
    }

    private void PushFused(string token, StringBuilder output)
    {
        if (_fusedPassing)
        {
            next.Push(token, output);
            return;
        }
        _fusedStart.Append(token);
        if (_fusedStart.Length <= BytePieceLength) return;
        _fusedPassing = true;
        next.Push(_fusedStart.ToString(), output);
    }

    private void EndRun(StringBuilder output)
    {
        if (_run.Count == 0) return;
        next.Push(HfDecoderChain.DecodeByteRun(_run), output);
        _run.Clear();
    }
}
