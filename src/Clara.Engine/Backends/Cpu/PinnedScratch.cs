namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Grows a thread's scratch array for kernels that read it through raw pointers: pinned, so the pointers stay valid,
/// and never shrunk, so steady-state decoding allocates nothing.
/// </summary>
internal static class PinnedScratch
{
    public static T[] Grow<T>(ref T[]? buffer, long count, string kernel)
    {
        if (count > Array.MaxLength) throw new NotSupportedException($"{kernel} needs {count} elements of scratch");
        if (buffer is null || buffer.Length < count) buffer = GC.AllocateUninitializedArray<T>((int)Math.Max(1, count), pinned: true);
        return buffer;
    }
}
