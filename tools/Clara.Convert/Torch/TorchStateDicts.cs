using Clara.Convert.Pickle;

namespace Clara.Convert.Torch;

/// <summary>A named tensor of a torch.save file.</summary>
public sealed record TorchNamedTensor(string Name, TorchTensor Tensor);

/// <summary>
/// What a torch.save file holds, read as state dicts: either one state dict (name -> tensor), or — the CLaRa
/// release's adapters.pth — several under names (adapter name -> state dict).
/// </summary>
public sealed class TorchStateDicts
{
    private TorchStateDicts(IReadOnlyList<TorchNamedTensor>? single, IReadOnlyDictionary<string, IReadOnlyList<TorchNamedTensor>>? nested)
    {
        Single = single;
        Nested = nested;
    }

    /// <summary>Set when the file is one state dict.</summary>
    public IReadOnlyList<TorchNamedTensor>? Single { get; }

    /// <summary>Set when the file maps names (adapter names) to state dicts, in file order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TorchNamedTensor>>? Nested { get; }

    public static TorchStateDicts From(TorchCheckpointFile file)
    {
        if (file.Root is not PickleDict root)
            throw new InvalidDataException($"{file.Path}: holds {PickleText.Describe(file.Root)}, not a dict of tensors (a state dict)");
        if (root.Count > 0 && root.Items.All(kv => kv.Value is PickleDict))
        {
            var nested = new Dictionary<string, IReadOnlyList<TorchNamedTensor>>(StringComparer.Ordinal);
            foreach (var (key, value) in root.Items)
            {
                string name = key as string ?? throw new InvalidDataException($"{file.Path}: top-level key {PickleText.Describe(key)} is not a string");
                nested.Add(name, Tensors(file, (PickleDict)value!, $"['{name}']"));
            }
            return new TorchStateDicts(null, nested);
        }
        return new TorchStateDicts(Tensors(file, root, ""), null);
    }

    private static List<TorchNamedTensor> Tensors(TorchCheckpointFile file, PickleDict dict, string where)
    {
        var tensors = new List<TorchNamedTensor>(dict.Count);
        var problems = new List<string>();
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                problems.Add($"key {PickleText.Describe(key)} is not a string");
            else if (value is not TorchTensor tensor)
                problems.Add($"'{name}' is {PickleText.Describe(value)}, not a tensor");
            else if (tensor.StorageElementsSpanned > tensor.Storage.ElementCount)
                problems.Add($"'{name}' ({tensor.DType} {tensor.ShapeText}, offset {tensor.StorageOffset}, strides ({string.Join(", ", tensor.Stride)})) " +
                             $"reaches element {tensor.StorageElementsSpanned} of storage '{tensor.Storage.Key}', which has only {tensor.Storage.ElementCount}");
            else
                tensors.Add(new TorchNamedTensor(name, tensor));
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{file.Path}{where}: not a valid state dict:\n  " + string.Join("\n  ", problems));
        return tensors;
    }
}
