using Clara.Engine.Tensors;

namespace Clara.Convert.Pickle;

/// <summary>
/// One storage of a torch checkpoint: the flat element buffer that tensors view. Several tensors may view
/// the same storage (slices, transposes); the checkpoint hands out one instance per key so they share it.
/// </summary>
public sealed record TorchStorage(string Key, DType DType, long ElementCount, string Location)
{
    public long ByteLength => ElementCount * DType.SizeOf();
}

/// <summary>A tensor as torch pickles it: a strided view of a storage. Sizes, strides and offset count elements.</summary>
public sealed class TorchTensor
{
    public TorchTensor(TorchStorage storage, long storageOffset, long[] size, long[] stride)
    {
        if (size.Length != stride.Length)
            throw new PickleFormatException($"tensor has {size.Length} sizes but {stride.Length} strides");
        if (storageOffset < 0) throw new PickleFormatException($"tensor has a negative storage offset {storageOffset}");
        long count = 1;
        foreach (var s in size)
        {
            if (s < 0) throw new PickleFormatException($"tensor size ({string.Join(", ", size)}) has a negative dimension");
            count = checked(count * s);
        }
        foreach (var s in stride)
            if (s < 0) throw new PickleFormatException($"tensor stride ({string.Join(", ", stride)}) is negative");
        Storage = storage;
        StorageOffset = storageOffset;
        Size = size;
        Stride = stride;
        ElementCount = count;
    }

    public TorchStorage Storage { get; }
    public long StorageOffset { get; }
    public long[] Size { get; }
    public long[] Stride { get; }
    public long ElementCount { get; }
    public DType DType => Storage.DType;

    /// <summary>True when the elements lie in row-major order without gaps from <see cref="StorageOffset"/> on.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int axis = Size.Length - 1; axis >= 0; axis--)
            {
                // A dimension of extent 1 can carry any stride: it is never stepped along.
                if (Size[axis] != 1 && Stride[axis] != expected) return false;
                expected *= Size[axis];
            }
            return true;
        }
    }

    /// <summary>One past the highest storage element this tensor reads (its offset when it has no elements).</summary>
    public long StorageElementsSpanned
    {
        get
        {
            if (ElementCount == 0) return StorageOffset;
            long last = StorageOffset;
            for (int axis = 0; axis < Size.Length; axis++) last = checked(last + (Size[axis] - 1) * Stride[axis]);
            return last + 1;
        }
    }

    public string ShapeText => "[" + string.Join(", ", Size) + "]";

    public override string ToString() => $"tensor {DType} {ShapeText} of storage '{Storage.Key}'";
}
