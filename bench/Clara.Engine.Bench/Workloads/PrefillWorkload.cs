using Clara.Engine.Bench.Models;
using Clara.Engine.Models;

namespace Clara.Engine.Bench.Workloads;

/// <summary>One prompt of <see cref="Tokens"/> random tokens through a fresh KV cache, logits for its last position only.</summary>
public sealed class PrefillWorkload(BenchModel model, int tokens)
{
    private readonly int[] _ids = PromptIds(model.Config.VocabSize, tokens);

    /// <summary>The prompt's tokens, spread over the vocabulary by a multiplicative hash; a peer gets the same ones.</summary>
    public static int[] PromptIds(int vocab, int tokens) =>
        Enumerable.Range(0, tokens).Select(i => 3 + (int)((uint)(i * 2654435761u) % (uint)(vocab - 3))).ToArray();

    public int Tokens { get; } = tokens;

    public void Run()
    {
        using var cache = model.CreateCache(1, Tokens);
        model.Forward(cache, new ForwardInputs(1, Tokens, _ids, Enumerable.Repeat(1, Tokens).ToArray(), Enumerable.Range(0, Tokens).ToArray())
        {
            LogitRows = [Tokens - 1],
        });
    }
}
