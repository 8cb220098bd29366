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
        string Where() => $"tensor size ({string.Join(", ", size)}), stride ({string.Join(", ", stride)}), offset {storageOffset}";
        if (size.Length != stride.Length)
            throw new PickleFormatException($"tensor has {size.Length} sizes but {stride.Length} strides");
        if (storageOffset < 0) throw new PickleFormatException($"tensor has a negative storage offset {storageOffset}");
        long count = 1, last = storageOffset;
        try
        {
            for (int axis = 0; axis < size.Length; axis++)
            {
                if (size[axis] < 0) throw new PickleFormatException($"{Where()} has a negative dimension");
                if (stride[axis] < 0) throw new PickleFormatException($"{Where()} has a negative stride");
                count = checked(count * size[axis]);
            }
            // Bytes must fit a long too: they become stream lengths and offsets.
            _ = checked(count * storage.DType.SizeOf());
            if (count > 0)
                for (int axis = 0; axis < size.Length; axis++) last = checked(last + (size[axis] - 1) * stride[axis]);
            _ = checked((last + 1) * storage.DType.SizeOf());
        }
        catch (OverflowException)
        {
            throw new PickleFormatException($"{Where()} overflows 64-bit element or byte counts; no real tensor is that large");
        }
        Storage = storage;
        StorageOffset = storageOffset;
        Size = size;
        Stride = stride;
        ElementCount = count;
        StorageElementsSpanned = count == 0 ? storageOffset : last + 1;
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
    public long StorageElementsSpanned { get; }

    public string ShapeText => "[" + string.Join(", ", Size) + "]";

    public override string ToString() => $"tensor {DType} {ShapeText} of storage '{Storage.Key}'";
}
