namespace Clara.Engine.Backends.Cpu;

/// <summary>A vector width, in bits, the CPU kernels can be compiled for.</summary>
internal enum SimdWidth
{
    Bits128 = 128,
    Bits256 = 256,
    Bits512 = 512,
}
