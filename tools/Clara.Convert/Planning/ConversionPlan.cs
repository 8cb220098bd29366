using Clara.Convert.Model;
using Clara.Engine.Models;
using Clara.Convert.Sources;
using Clara.Engine.Tensors;

namespace Clara.Convert.Planning;

/// <summary>How an output tensor is made from its source's values.</summary>
public enum TensorEncoding
{
    /// <summary>Converted value by value to the output dtype.</summary>
    Cast,
    /// <summary>The int8 values of the source quantised to Q8_0 (<see cref="Q8Blocks"/>), I8 of the source's shape.</summary>
    Q8Values,
    /// <summary>The F16 block scales of the source quantised to Q8_0, [out, in / 32].</summary>
    Q8Scales,
}

/// <summary>One output tensor: its engine name, where its values come from, and the dtype it is stored as.</summary>
public sealed record PlannedTensor(string Name, ISourceTensor Source, DType DType, TensorEncoding Encoding = TensorEncoding.Cast)
{
    public Shape Shape => Encoding == TensorEncoding.Q8Scales ? Q8Blocks.ScalesShape(Source.Shape, Name) : Source.Shape;
    public long ByteLength => Shape.ElementCount * DType.SizeOf();
}

/// <summary>One adapter of the output: its validated settings as the engine file records them, and where it came from.</summary>
public sealed record PlannedAdapter(EngineAdapterEntry Entry, string Origin)
{
    public string Name => Entry.Name;
}

/// <summary>A validated conversion: every output tensor, mapped, shape-checked and ordered, plus the metadata texts.</summary>
public sealed class ConversionPlan
{
    public required HfModelConfig Config { get; init; }
    public required int VocabSize { get; init; }
    public required IReadOnlyList<PlannedTensor> Tensors { get; init; }
    public required IReadOnlyList<PlannedAdapter> Adapters { get; init; }
    public required string? ClaraJson { get; init; }
    public required IReadOnlyDictionary<string, int> SpecialTokens { get; init; }
    public required IReadOnlyList<string> SourceFiles { get; init; }
    public required IReadOnlyList<string> TokenizerFiles { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>What each command-line input was recognised as.</summary>
    public IReadOnlyList<Inputs.DetectedInput> Inputs { get; init; } = [];

    /// <summary>config.json as the output carries it: the input's, with vocab_size grown to the resized vocabulary.</summary>
    public string ConfigText => Config.TextWithVocabSize(VocabSize);

    public long DataBytes => Tensors.Sum(t => t.ByteLength);
}

/// <summary>The inputs do not add up to a model: every problem found, each naming its tensor.</summary>
public sealed class CheckpointValidationException(IReadOnlyList<string> problems)
    : Clara.Engine.InvalidInputException($"{problems.Count} problem{(problems.Count == 1 ? "" : "s")} with the inputs:" + Clara.Engine.Models.ConfigLimits.ListProblems(problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
