namespace Clara.Engine.Backends.Cpu;

/// <summary>How one weight storage type reads as fp32 inside a kernel: a vector at a time (widened in registers) or one.</summary>
internal unsafe interface IWeightFormat
{
    static abstract int Size { get; }
    static abstract TVec Load<TSimd, TVec>(byte* row, int column) where TSimd : ISimd<TVec> where TVec : struct;
    static abstract float Scalar(byte* row, int column);
}
