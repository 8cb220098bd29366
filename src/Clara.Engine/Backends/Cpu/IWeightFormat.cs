using System.Runtime.Intrinsics;

namespace Clara.Engine.Backends.Cpu;

/// <summary>How one weight storage type reads as fp32 inside a kernel: sixteen at a time (widened in registers) or one.</summary>
internal unsafe interface IWeightFormat
{
    static abstract int Size { get; }
    static abstract Vector512<float> Load(byte* row, int column);
    static abstract float Scalar(byte* row, int column);
}
