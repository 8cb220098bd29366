namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// What one kernel function may have of a device's shared memory per block, as the driver reports it:
/// the function's static shared memory (<c>CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES</c>; on sm_90 it includes
/// 1 KiB the hardware reserves per block), the dynamic shared memory a launch may ask for now
/// (<c>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES</c>: 48 KiB less the static size until raised), and the
/// device's per-block limit after opting in (<c>CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN</c>:
/// 163 KiB on an A100, 227 KiB on an H100/H200).
/// </summary>
public readonly record struct SharedMemoryLimits(int StaticBytes, int MaxDynamicBytes, int OptInBytesPerBlock)
{
    /// <summary>
    /// The most dynamic shared memory a launch of this function can have on this device once it has opted in:
    /// the opt-in limit less the static size (their sum may not exceed the limit).
    /// </summary>
    public int MaxDynamicAfterOptIn => Math.Max(0, OptInBytesPerBlock - StaticBytes);

    public override string ToString() =>
        $"{StaticBytes} B static, {MaxDynamicBytes} B dynamic allowed now, {OptInBytesPerBlock} B per block after opting in";
}

/// <summary>What a launch with some dynamic shared memory needs first.</summary>
public enum SharedMemoryStep
{
    /// <summary>It fits the function's current dynamic limit: launch as is.</summary>
    Launch,

    /// <summary>It needs more than the current limit but fits the device: raise the function's limit (cuFuncSetAttribute) to the launch's size first.</summary>
    OptIn,
}

/// <summary>
/// The arithmetic of dynamic shared memory budgets, apart from the driver so it can be tested without a GPU.
/// A launch asking for more than the function's current limit fails in the driver without naming the kernel;
/// <see cref="Plan"/> says instead whether to opt in, or refuses with the numbers.
/// </summary>
public static class SharedMemoryBudget
{
    /// <summary>The per-block shared memory (static plus dynamic) every launch gets without opting in.</summary>
    public const int DefaultBytesPerBlock = 48 * 1024;

    /// <summary>
    /// Whether a launch of <paramref name="kernel"/> with <paramref name="dynamicBytes"/> of dynamic shared memory can go as is
    /// or must opt in first. Throws <see cref="NotSupportedException"/>, naming the kernel and the limits, when the
    /// device cannot give that much even after opting in.
    /// </summary>
    public static SharedMemoryStep Plan(string kernel, int dynamicBytes, SharedMemoryLimits limits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dynamicBytes);
        if (dynamicBytes <= limits.MaxDynamicBytes) return SharedMemoryStep.Launch;
        if (dynamicBytes <= limits.MaxDynamicAfterOptIn) return SharedMemoryStep.OptIn;
        throw new NotSupportedException(
            $"{kernel} needs {dynamicBytes} B of dynamic shared memory per block; with its {limits.StaticBytes} B of static shared memory " +
            $"that is {(long)dynamicBytes + limits.StaticBytes} B, over this device's {limits.OptInBytesPerBlock} B per block even after opting in " +
            $"(at most {limits.MaxDynamicAfterOptIn} B dynamic)");
    }

    /// <summary>
    /// The most items of <paramref name="bytesPerItem"/> dynamic shared memory each (after <paramref name="fixedBytes"/>
    /// of dynamic shared memory that does not grow) one block of the function can hold once it has opted in.
    /// </summary>
    public static int MaxItems(SharedMemoryLimits limits, int bytesPerItem, int fixedBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerItem);
        ArgumentOutOfRangeException.ThrowIfNegative(fixedBytes);
        return Math.Max(0, (limits.MaxDynamicAfterOptIn - fixedBytes) / bytesPerItem);
    }

    /// <summary>The dynamic shared memory a function gets without opting in: 48 KiB less its static size.</summary>
    public static int DefaultMaxDynamic(int staticBytes) => Math.Max(0, DefaultBytesPerBlock - staticBytes);
}
