using System.Text;

namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// <see cref="AddedTokenVocabulary.DecodeTokens"/> fed one id at a time: special ids add nothing, every other id's
/// token string goes into the streaming form of the tokenizer.json decoder (<see cref="HfDecoderChain.Stream"/>).
/// </summary>
internal sealed class DecoderChainTokenStream(AddedTokenVocabulary added, int vocabSize, Func<int, string> modelToken, DecoderChainStage chain,
    DecodeWork work) : ITokenTextStream
{
    public void Add(int id, StringBuilder output)
    {
        if (added.TokenToDecode(id, vocabSize, modelToken) is not { } token) return;
        work.Count(1);
        chain.Push(token, output);
    }

    public void Finish(StringBuilder output) => chain.Finish(output);
}
