using System.Collections.Immutable;

namespace Clara.Engine.Tensors;

/// <summary>An immutable row-major shape. The last dimension is contiguous.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"shape {Format(dims)} has a negative dimension");
            count = checked(count * d);
        }
        _dims = (int[])dims.Clone();
        ElementCount = count;
    }

    public static Shape Of(IEnumerable<long> dims) =>
        new(dims.Select(d => d is < 0 or > int.MaxValue
            ? throw new ArgumentException($"dimension {d} is out of range")
            : (int)d).ToArray());

    public int Rank => _dims.Length;
    public long ElementCount { get; }
    public int this[int axis] => _dims[axis < 0 ? _dims.Length + axis : axis];
    public ImmutableArray<int> Dims => ImmutableArray.Create(_dims);

    /// <summary>Number of rows when the tensor is seen as a matrix [rows, last dimension].</summary>
    public long Rows => Rank == 0 ? 1 : ElementCount / Math.Max(1, _dims[^1]);

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as Shape);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public override string ToString() => Format(_dims);
    private static string Format(int[] dims) => "[" + string.Join(", ", dims) + "]";
}
