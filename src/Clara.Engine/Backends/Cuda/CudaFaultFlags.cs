using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// One 32-bit word in device memory that kernels OR bits into when an index operand is invalid (a token
/// id outside the vocabulary, a row outside the tensor, a target outside the classes). A kernel cannot
/// throw, so it writes NaN for the affected rows, raises a bit, and the host turns the bits into an
/// exception at the next synchronisation. Bits match CLARA_FAULT_* in kernels/clara_prelude.cuh.
/// </summary>
internal sealed class CudaFaultFlags : IDisposable
{
    public const uint IndexOutOfRange = 1;

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
        throw new InvalidOperationException(Describe(flags));
    }

    private static string Describe(uint flags) => (flags & IndexOutOfRange) != 0
        ? "a CUDA kernel was given an index out of range (a token id beyond the vocabulary, a row beyond its tensor, or a target beyond the classes); the affected output rows are NaN"
        : $"a CUDA kernel raised fault flags 0x{flags:x}";

    public void Dispose() => _word.Dispose();
}
