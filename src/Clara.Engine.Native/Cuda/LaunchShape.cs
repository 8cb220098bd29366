namespace Clara.Engine.Native.Cuda;

/// <summary>A grid or block extent.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(int x) => new(checked((uint)x));
    public long Count => (long)X * Y * Z;
    public override string ToString() => $"({X}, {Y}, {Z})";
}

/// <summary>Grid, block and dynamic shared memory of one launch.</summary>
public readonly record struct LaunchShape(Dim3 Grid, Dim3 Block, int SharedBytes = 0)
{
    /// <summary>Throws when the shape cannot be launched on any CUDA device (the driver's error would not name the kernel).</summary>
    public void Validate(string kernel)
    {
        if (Grid.X == 0 || Grid.Y == 0 || Grid.Z == 0 || Block.X == 0 || Block.Y == 0 || Block.Z == 0)
            throw new ArgumentException($"{kernel}: empty launch {this}");
        if (Grid.Y > 65535 || Grid.Z > 65535 || Grid.X > int.MaxValue)
            throw new ArgumentException($"{kernel}: grid {Grid} exceeds the CUDA limits (x < 2^31, y and z ≤ 65535)");
        if (Block.Count > 1024)
            throw new ArgumentException($"{kernel}: block {Block} has more than 1024 threads");
        if (SharedBytes < 0)
            throw new ArgumentException($"{kernel}: negative shared memory {SharedBytes}");
    }

    public override string ToString() => $"grid {Grid} block {Block} shared {SharedBytes} B";
}
