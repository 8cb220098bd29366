using System.Collections.Immutable;

namespace Clara.Convert.Pickle;

// The Python values a torch checkpoint pickle can hold map onto: None -> null, bool -> bool,
// int -> long (System.Numerics.BigInteger past 64 bits), float -> double, str -> string,
// bytes -> byte[], list -> List<object?>, and the types below.

/// <summary>
/// A Python tuple. Structural equality, because tuples can be dict keys. Equality, hashing and printing recurse
/// into nested tuples, so the constructor refuses tuples past <see cref="PickleLimits"/>' depth and unfolded size.
/// </summary>
public sealed class PickleTuple : IEquatable<PickleTuple>
{
    public static readonly PickleTuple Empty = new(ImmutableArray<object?>.Empty);

    public PickleTuple(ImmutableArray<object?> items)
    {
        Items = items;
        int depth = 1;
        long size = 1;
        foreach (var item in items)
        {
            if (item is not PickleTuple inner) { size++; continue; }
            depth = Math.Max(depth, inner.Depth + 1);
            size += inner.UnfoldedSize;
        }
        if (depth > PickleLimits.MaxNestingDepth) throw PickleLimits.DepthExceeded(depth);
        if (size > PickleLimits.MaxUnfoldedTupleSize) throw PickleLimits.UnfoldedSizeExceeded(size);
        Depth = depth;
        UnfoldedSize = size;
    }

    public ImmutableArray<object?> Items { get; }
    public int Count => Items.Length;

    /// <summary>1 for a tuple of no tuples; one more per level of tuples inside.</summary>
    public int Depth { get; }

    /// <summary>This tuple and its items, counting a nested tuple's items each time the tuple appears.</summary>
    public long UnfoldedSize { get; }
    public object? this[int index] => Items[index];

    public bool Equals(PickleTuple? other) =>
        other is not null && Items.Length == other.Items.Length &&
        Items.Zip(other.Items).All(pair => Equals(pair.First, pair.Second));

    public override bool Equals(object? obj) => Equals(obj as PickleTuple);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in Items) hash.Add(item);
        return hash.ToHashCode();
    }

    public override string ToString() => PickleText.Describe(this);
}

/// <summary>A Python dict or collections.OrderedDict; keeps insertion order as Python does.</summary>
public sealed class PickleDict
{
    private readonly OrderedDictionary<object, object?> _items = new();

    public int Count => _items.Count;
    public IEnumerable<KeyValuePair<object, object?>> Items => _items;

    public void Set(object? key, object? value)
    {
        if (key is null) throw new PickleFormatException("a dict key is None; torch checkpoints key their dicts by name");
        if (key is List<object?> or PickleDict) throw new PickleFormatException($"unhashable dict key {PickleText.Describe(key)}");
        _items[key] = value;
    }
}

/// <summary>An allowed Python global (module.name), as the allowlist classified it.</summary>
public sealed record PickleGlobal(string Module, string Name, GlobalRole Role, Clara.Engine.Tensors.DType? DType = null)
{
    public string FullName => Module + "." + Name;
    public override string ToString() => FullName;
}

public enum GlobalRole
{
    /// <summary>collections.OrderedDict: called with no arguments, then filled by SETITEMS.</summary>
    OrderedDict,
    /// <summary>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]).</summary>
    RebuildTensorV2,
    /// <summary>torch._utils._rebuild_tensor(storage, offset, size, stride), pre-1.0 files.</summary>
    RebuildTensor,
    /// <summary>torch._utils._rebuild_parameter(data, requires_grad, hooks).</summary>
    RebuildParameter,
    /// <summary>torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state).</summary>
    RebuildParameterWithState,
    /// <summary>torch.Size(tuple).</summary>
    TorchSize,
    /// <summary>torch.FloatStorage and friends: only ever a value inside a persistent id.</summary>
    StorageType,
    /// <summary>torch.float32 and friends: a value.</summary>
    DType,
}

internal static class PickleText
{
    /// <summary>A short description of a pickled value for error messages (never the whole of a big value).</summary>
    public static string Describe(object? value) => Describe(value, levels: 3);

    // Nested tuples are printed a few levels deep at most, so a message stays a line long.
    private static string Describe(object? value, int levels) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => s.Length <= 60 ? $"'{s}'" : $"'{s[..57]}...'",
        long or double or System.Numerics.BigInteger => string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0}", value),
        byte[] bytes => $"bytes[{bytes.Length}]",
        List<object?> list => $"list[{list.Count}]",
        PickleDict dict => $"dict[{dict.Count}]",
        PickleTuple tuple => tuple.Count <= 6 && levels > 0
            ? "(" + string.Join(", ", tuple.Items.Select(item => Describe(item, levels - 1))) + ")"
            : $"tuple[{tuple.Count}]",
        PickleGlobal g => g.FullName,
        _ => value.ToString() ?? value.GetType().Name,
    };
}
