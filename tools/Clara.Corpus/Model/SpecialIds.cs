using Clara.Engine.Tokenization;

namespace Clara.Corpus.Model;

/// <summary>The CLaRa special-token ids (spec §7's clara.json) as the tokenizer assigns them.</summary>
public sealed record SpecialIds(int[] Memory, int Enc, int Sep, int Ae, int Pad, int Bos, int Eos)
{
    public static SpecialIds From(ITextTokenizer tokenizer, int memoryTokens, string source)
    {
        var special = tokenizer.SpecialTokens;
        int Id(string token) => special.TryGetValue(token, out int id) ? id
            : throw new InvalidDataException($"{source}: the tokenizer has no special token {token} (tokenizer_config.json lists the special tokens)");
        return new SpecialIds(
            Enumerable.Range(0, memoryTokens).Select(i => Id($"<MEM{i}>")).ToArray(),
            Id("<ENC>"), Id("<SEP>"), Id("<AE>"), Id("<PAD>"),
            tokenizer.BosId ?? throw new InvalidDataException($"{source}: the tokenizer has no BOS token"),
            tokenizer.EosId ?? throw new InvalidDataException($"{source}: the tokenizer has no EOS token"));
    }
}
