using Clara.Engine.Bench.Models;
using Clara.Engine.Models;

namespace Clara.Engine.Bench.Workloads;

/// <summary>One prompt of <see cref="Tokens"/> random tokens through a fresh KV cache, logits for its last position only.</summary>
public sealed class PrefillWorkload(BenchModel model, int tokens)
{
    private readonly int[] _ids = Enumerable.Range(0, tokens).Select(i => 3 + (int)((uint)(i * 2654435761u) % (uint)(model.Config.VocabSize - 3))).ToArray();

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
