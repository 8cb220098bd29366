using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// One 32-bit word in device memory that kernels OR bits into when an index operand is invalid (a token
/// id outside the vocabulary, a row outside the tensor, a target outside the classes). A kernel cannot
/// throw, so it writes NaN for the affected rows, raises a bit, and the host turns the bits into an
/// <see cref="ArgumentOutOfRangeException"/> at the next synchronisation (checking the indices on the
/// host instead would cost a device round trip per call). A NaN input that a kernel's contract refuses (the top-k
/// scores) raises its own bit and becomes an <see cref="ArgumentException"/>. Bits match CLARA_FAULT_* in kernels/clara_prelude.cuh.
/// </summary>
internal sealed class CudaFaultFlags : IDisposable
{
    public const uint IndexOutOfRange = 1;
    public const uint NanInput = 2;

    private readonly DeviceMemory _word;
    private readonly CudaStream _stream;

    public CudaFaultFlags(CudaContext context, CudaStream stream)
    {
        _stream = stream;
        _word = context.Allocate(sizeof(uint));
        _stream.Fill(_word.Pointer, 0, sizeof(uint));
    }

    public DevicePointer Pointer => _word.Pointer;

    /// <summary>Reads and clears the word (waiting for queued work); throws when a kernel raised a flag.</summary>
    public void ThrowIfRaised()
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        _stream.CopyToHost(_word.Pointer, bytes);
        uint flags = BitConverter.ToUInt32(bytes);
        if (flags == 0) return;
        _stream.Fill(_word.Pointer, 0, sizeof(uint));
        if ((flags & IndexOutOfRange) != 0)
            throw new ArgumentOutOfRangeException(paramName: null,
                "a CUDA kernel was given an index outside its range (a token id beyond the vocabulary, a row beyond its tensor, " +
                "or a target beyond the classes) since the last synchronisation; the affected output rows are NaN");
        if ((flags & NanInput) != 0)
            throw new ArgumentException("a CUDA kernel was given a NaN where its contract refuses one (a straight-through top-k score) " +
                                        "since the last synchronisation");
        throw new InvalidOperationException($"a CUDA kernel raised unknown fault flags 0x{flags:x}");
    }

    public void Dispose() => _word.Dispose();
}
