namespace Clara.Engine.Backends.Ops;

/// <summary>The operand rules of <see cref="IKernels.WriteCache"/> and <see cref="IKernels.Attention"/>.</summary>
public static class AttentionRules
{
    /// <summary>Checks a cache write and returns the cache geometry and the rows per sequence.</summary>
    public static (int Batch, int Capacity, int Width, int Length) CheckCacheWrite(Tensor source, Tensor cache, int start)
    {
        OperandDTypes.RequireF32((source, "cache source"), (cache, "cache"));
        if (cache.Shape.Rank != 3) throw new ArgumentException($"cache must be [batch, capacity, width], got {cache.Shape}");
        int batch = cache.Shape[0], capacity = cache.Shape[1], width = cache.Shape[2];
        if (source.Shape[-1] != width || source.Shape.Rows % batch != 0)
            throw new ArgumentException($"cache source {source.Shape} does not fit cache {cache.Shape}");
        int length = (int)(source.Shape.Rows / batch);
        if (start < 0 || start + length > capacity)
            throw new ArgumentOutOfRangeException(nameof(start), $"cache rows [{start}, {start + length}) exceed capacity {capacity}");
        return (batch, capacity, width, length);
    }

    /// <summary>Checks an attention call against its layout and returns the cache capacity.</summary>
    public static int CheckAttention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output)
    {
        OperandDTypes.RequireF32((query, "attention query"), (keyCache, "key cache"), (valueCache, "value cache"), (output, "attention output"));
        OperandDTypes.RequireI32(keyMask, "key mask");
        layout.Validate();
        int d = layout.HeadDim, qWidth = layout.Heads * d, kvWidth = layout.KvHeads * d;
        if (query.Shape.Rows != (long)layout.Batch * layout.QueryLength || query.Shape[-1] != qWidth)
            throw new ArgumentException($"attention query {query.Shape} does not match {layout}");
        if (keyCache.Shape.Rank != 3 || keyCache.Shape[0] != layout.Batch || keyCache.Shape[2] != kvWidth || !keyCache.Shape.Equals(valueCache.Shape))
            throw new ArgumentException($"key cache {keyCache.Shape} / value cache {valueCache.Shape} do not match {layout}");
        int capacity = keyCache.Shape[1];
        if (layout.KeyLength > capacity) throw new ArgumentException($"{layout.KeyLength} keys exceed the cache capacity {capacity}");
        if (keyMask.ElementCount != (long)layout.Batch * capacity) throw new ArgumentException($"key mask {keyMask.Shape} should be [{layout.Batch}, {capacity}]");
        if (output.ElementCount != query.ElementCount) throw new ArgumentException($"attention output {output.Shape} differs from query {query.Shape}");
        return capacity;
    }
}
