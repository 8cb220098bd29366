namespace Clara.Convert.Pickle;

/// <summary>
/// Bounds on what one pickle may build. A torch.save state dict of a 7B model nests three or four containers
/// deep and builds a few thousand values; these limits are orders of magnitude above that and far below what
/// exhausts the stack, memory or time. Each refusal names the limit it hit.
/// </summary>
public static class PickleLimits
{
    /// <summary>Tuples inside tuples: hashing, comparing and printing a tuple recurse this deep.</summary>
    public const int MaxNestingDepth = 100;

    /// <summary>
    /// Values a tuple stands for when every memo reference is counted each time it appears (its size "unfolded").
    /// Memo references let 400 bytes describe a tuple of 2^80 leaves; hashing or printing one walks them all.
    /// </summary>
    public const long MaxUnfoldedTupleSize = 1_000_000;

    /// <summary>Opcodes executed over the whole file (each builds, stores or references at most one value): bounds memory and time.</summary>
    public const long MaxObjects = 4_000_000;

    public static PickleFormatException DepthExceeded(int depth) =>
        new($"a tuple is nested {depth} deep, past the limit of {MaxNestingDepth} (PickleLimits.MaxNestingDepth); a checkpoint nests a few levels");

    public static PickleFormatException UnfoldedSizeExceeded(long size) =>
        new($"a tuple repeats shared values (memo references) to an unfolded size of more than {MaxUnfoldedTupleSize} values " +
            $"(PickleLimits.MaxUnfoldedTupleSize; this one reaches {size}); a checkpoint never needs that");

    public static PickleFormatException ObjectCountExceeded() =>
        new($"the pickle builds more than {MaxObjects} objects (PickleLimits.MaxObjects); a state dict needs a few thousand");
}
