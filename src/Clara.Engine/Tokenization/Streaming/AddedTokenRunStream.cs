using System.Text;

namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// <see cref="AddedTokenVocabulary.Decode"/> fed one id at a time: special ids add nothing, a non-special added
/// token finishes the current run of model ids and reads as its content, and each run of model ids is decoded by a
/// run stream of its own, started fresh after every added token (a SentencePiece run gets its own leading-space rule).
/// </summary>
/// <param name="checkModelId">Throws for a model id the model cannot decode, as the tokenizer's Decode does.</param>
/// <param name="startRun">A stream for a new run of model ids.</param>
internal sealed class AddedTokenRunStream(AddedTokenVocabulary added, int vocabSize, Action<int> checkModelId, Func<ITokenTextStream> startRun)
    : ITokenTextStream
{
    private ITokenTextStream? _run;

    public void Add(int id, StringBuilder output)
    {
        switch (added.RoleOf(id, vocabSize, out var content))
        {
            case DecodeRole.Skipped:
                return;
            case DecodeRole.AddedContent:
                Finish(output);
                output.Append(content);
                return;
            default:
                checkModelId(id);
                (_run ??= startRun()).Add(id, output);
                return;
        }
    }

    public void Finish(StringBuilder output)
    {
        _run?.Finish(output);
        _run = null;
    }
}
