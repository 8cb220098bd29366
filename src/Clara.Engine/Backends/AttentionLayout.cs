namespace Clara.Engine.Backends;

/// <summary>
/// Geometry of one attention call. Queries are rows [batch*queryLength, heads*headDim]; the caches are
/// [batch, capacity, kvHeads*headDim]. Query t of sequence b sits at cache index start+t and attends to
/// cache indices j ≤ start+t whose key mask is non-zero (causal, with padding masked out).
/// </summary>
public sealed record AttentionLayout(int Batch, int QueryLength, int Start, int Heads, int KvHeads, int HeadDim, float Scale)
{
    public int KeyLength => Start + QueryLength;
    public int GroupSize => Heads / KvHeads;

    public void Validate()
    {
        if (Batch <= 0 || QueryLength <= 0 || Start < 0 || Heads <= 0 || KvHeads <= 0 || HeadDim <= 0)
            throw new ArgumentException($"invalid attention layout {this}");
        if (Heads % KvHeads != 0)
            throw new ArgumentException($"{Heads} query heads are not a multiple of {KvHeads} key/value heads");
    }
}
