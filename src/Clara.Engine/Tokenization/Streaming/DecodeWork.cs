namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// How many tokens a stream's decoding has looked at, counting a token again each time it is decoded again. Tests
/// read it to show that each new token costs a bounded amount of decoding, without timing anything.
/// </summary>
internal sealed class DecodeWork
{
    public long Pieces { get; private set; }

    public void Count(int pieces) => Pieces += pieces;
}
