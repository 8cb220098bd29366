using System.Collections.Immutable;

namespace Clara.Convert.Pickle;

/// <summary>
/// What REDUCE, NEWOBJ and BUILD do with the allowed globals. Each one is a fixed data construction
/// written out here: a Python callable is never looked up, let alone run.
/// </summary>
internal static class TorchCallables
{
    public static object Call(PickleGlobal callable, PickleTuple args)
    {
        switch (callable.Role)
        {
            case GlobalRole.OrderedDict:
                if (args.Count != 0)
                    throw new PickleFormatException($"collections.OrderedDict called with arguments {args}; torch.save calls it with none");
                return new PickleDict();
            case GlobalRole.RebuildTensorV2:
                ExpectArgs(callable, args, 6, 7);
                return RebuildTensor(callable, args);
            case GlobalRole.RebuildTensor:
                ExpectArgs(callable, args, 4, 4);
                return RebuildTensor(callable, args);
            case GlobalRole.RebuildParameter:
                ExpectArgs(callable, args, 3, 3);
                return args[0] as TorchTensor
                    ?? throw new PickleFormatException($"{callable} expects a tensor, got {PickleText.Describe(args[0])}");
            case GlobalRole.RebuildParameterWithState:
                ExpectArgs(callable, args, 4, 4);
                return args[0] as TorchTensor
                    ?? throw new PickleFormatException($"{callable} expects a tensor, got {PickleText.Describe(args[0])}");
            case GlobalRole.TorchSize:
                ExpectArgs(callable, args, 1, 1);
                return args[0] as PickleTuple
                    ?? throw new PickleFormatException($"torch.Size expects a tuple, got {PickleText.Describe(args[0])}");
            default:
                throw new PickleFormatException($"{callable} is not callable in a checkpoint (it is a {callable.Role} value)");
        }
    }

    /// <summary>NEWOBJ (cls.__new__(cls, *args)): only OrderedDict is ever created this way.</summary>
    public static object New(PickleGlobal cls, PickleTuple args) =>
        cls.Role == GlobalRole.OrderedDict
            ? Call(cls, args)
            : throw new PickleFormatException($"NEWOBJ of {cls} is not something torch.save writes");

    /// <summary>
    /// BUILD (obj.__setstate__(state)). torch.save BUILDs a state dict's OrderedDict with its
    /// <c>_metadata</c> attribute (module versions), which carries no weights and is dropped.
    /// </summary>
    public static void Build(object? target, object? state)
    {
        if (target is PickleDict && state is PickleDict or null) return;
        throw new PickleFormatException($"BUILD of {PickleText.Describe(target)} with state {PickleText.Describe(state)} is not something torch.save writes");
    }

    private static TorchTensor RebuildTensor(PickleGlobal callable, PickleTuple args)
    {
        var storage = args[0] as TorchStorage
            ?? throw new PickleFormatException($"{callable}: the first argument should be a storage, got {PickleText.Describe(args[0])}");
        long offset = ToLong(callable, "storage offset", args[1]);
        long[] size = ToLongs(callable, "size", args[2]);
        long[] stride = ToLongs(callable, "stride", args[3]);
        return new TorchTensor(storage, offset, size, stride);
    }

    private static void ExpectArgs(PickleGlobal callable, PickleTuple args, int min, int max)
    {
        if (args.Count < min || args.Count > max)
            throw new PickleFormatException($"{callable} called with {args.Count} arguments, expected {(min == max ? min.ToString() : $"{min} to {max}")}");
    }

    private static long ToLong(PickleGlobal callable, string what, object? value) =>
        value as long? ?? throw new PickleFormatException($"{callable}: the {what} should be an int, got {PickleText.Describe(value)}");

    private static long[] ToLongs(PickleGlobal callable, string what, object? value)
    {
        var tuple = value as PickleTuple
            ?? throw new PickleFormatException($"{callable}: the {what} should be a tuple, got {PickleText.Describe(value)}");
        var result = new long[tuple.Count];
        for (int i = 0; i < result.Length; i++) result[i] = ToLong(callable, what, tuple[i]);
        return result;
    }

    public static PickleTuple Tuple(params object?[] items) => new(ImmutableArray.Create(items));
}
