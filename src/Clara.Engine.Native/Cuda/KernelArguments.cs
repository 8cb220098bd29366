using System.Runtime.CompilerServices;

namespace Clara.Engine.Native.Cuda;

/// <summary>
/// The parameters of one kernel launch, in declaration order. cuLaunchKernel takes an array of
/// pointers to the values; each value sits in its own 8-byte slot of this stack-only struct, and the
/// driver copies as many bytes from each slot as the kernel's parameter has. Only pointers, 32-bit
/// integers and floats, and 64-bit integers are allowed: the kernels take nothing else.
/// </summary>
public ref struct KernelArguments
{
    public const int Capacity = 24;

    private Slots _values;
    private int _count;

    public readonly int Count => _count;

    public KernelArguments Add(DevicePointer value) => Put(value.Address);
    public KernelArguments Add(long value) => Put(unchecked((ulong)value));
    public KernelArguments Add(int value) => Put(unchecked((uint)value));
    public KernelArguments Add(uint value) => Put(value);
    public KernelArguments Add(float value) => Put(BitConverter.SingleToUInt32Bits(value));

    private KernelArguments Put(ulong bits)
    {
        if (_count == Capacity) throw new InvalidOperationException($"a kernel launch takes at most {Capacity} arguments");
        _values[_count++] = bits;
        return this;
    }

    /// <summary>Fills <paramref name="pointers"/> with the address of each slot. Valid while this struct is in scope.</summary>
    internal readonly unsafe void PointTo(Span<nint> pointers)
    {
        for (int i = 0; i < _count; i++)
            pointers[i] = (nint)Unsafe.AsPointer(ref Unsafe.AsRef(in _values[i]));
    }

    [InlineArray(Capacity)]
    private struct Slots
    {
        private ulong _element;
    }
}
