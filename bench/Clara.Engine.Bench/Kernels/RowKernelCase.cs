using Clara.Engine.Bench.Columns;

namespace Clara.Engine.Bench.Kernels;

/// <summary>A memory-bound row kernel over [Rows, Width] fp32: it reads <see cref="Reads"/> and writes one such matrix.</summary>
public sealed record RowKernelCase(int Rows, int Width, int Reads) : IHasWorkSize
{
    public WorkSize Work => new(Bytes: 4.0 * Rows * Width * (Reads + 1));
    public override string ToString() => $"{Rows}x{Width}";
}
