namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// The fp32 vector operations the matmul and attention kernels need, at one width. A kernel written once as
/// <c>Kernel&lt;TSimd, TVec&gt;</c> is compiled by the JIT separately for each (struct) width, every call inlined,
/// so it runs with real 512-, 256- or 128-bit instructions: which one is <see cref="SimdDispatch.Widest"/>'s choice.
/// (System.Runtime.Intrinsics has the same interface, ISimdVector, but keeps it internal in .NET 10.)
/// </summary>
internal unsafe interface ISimd<TVec> where TVec : struct
{
    static abstract int Lanes { get; }
    static abstract TVec Load(float* source);
    static abstract void Store(TVec value, float* destination);
    static abstract TVec Broadcast(float value);

    /// <summary>
    /// a · b + c, rounded once wherever the hardware has FMA (every AVX2, AVX-512 and ARM64 machine). Without it
    /// (DOTNET_EnableAVX2=0, or an x86 from before 2013) twice: an exact software FMA there is some hundred times slower.
    /// </summary>
    static abstract TVec FusedMultiplyAdd(TVec a, TVec b, TVec c);

    static abstract TVec Multiply(TVec a, float b);
    static abstract float Sum(TVec value);

    /// <summary>Lanes bf16 values widened to fp32: each is the upper half of an fp32 bit pattern.</summary>
    static abstract TVec LoadBf16(ushort* source);
}
