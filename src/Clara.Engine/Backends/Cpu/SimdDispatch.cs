using System.Runtime.Intrinsics;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// The widest vector width the hardware (and the runtime's settings: DOTNET_EnableAVX512F=0, DOTNET_EnableAVX2=0,
/// DOTNET_EnableHWIntrinsic=0) accelerates, as TensorPrimitives picks it. A wider VectorN that is not accelerated is
/// emulated by the JIT with several narrower operations and spills a register tile sized for the wide registers, so the
/// kernels never use one. With no vector hardware at all the 128-bit kernels still run, emulated (slowly, but right).
/// </summary>
internal static class SimdDispatch
{
    /// <summary>Read once: a static readonly is a constant to the optimizing JIT, so each kernel's width switch folds away.</summary>
    public static readonly SimdWidth Widest =
        Vector512.IsHardwareAccelerated ? SimdWidth.Bits512 : Vector256.IsHardwareAccelerated ? SimdWidth.Bits256 : SimdWidth.Bits128;

    /// <summary>Every width, for tests that run a kernel at each (a width wider than the hardware's is emulated there).</summary>
    public static IReadOnlyList<SimdWidth> All { get; } = [SimdWidth.Bits512, SimdWidth.Bits256, SimdWidth.Bits128];

    /// <summary>"256-bit (Vector256 accelerated)", or "128-bit (emulated: no vector hardware enabled)", for logs.</summary>
    public static string Describe() => Widest switch
    {
        SimdWidth.Bits512 => "512-bit (Vector512 accelerated)",
        SimdWidth.Bits256 => "256-bit (Vector256 accelerated)",
        _ when Vector128.IsHardwareAccelerated => "128-bit (Vector128 accelerated)",
        _ => "128-bit (emulated: no vector hardware enabled)",
    };
}
