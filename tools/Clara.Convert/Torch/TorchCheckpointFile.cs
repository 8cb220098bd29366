using Clara.Engine.Tensors;
using Clara.Convert.Pickle;

namespace Clara.Convert.Torch;

/// <summary>
/// A file written by torch.save, opened without running any of it: the unpickled object tree
/// (<see cref="Root"/>) and the raw bytes of its storages. Two layouts exist: the zip archive torch.save
/// writes since PyTorch 1.6, and the older stream of concatenated pickles followed by storage records.
/// </summary>
public abstract class TorchCheckpointFile : IDisposable
{
    protected TorchCheckpointFile(string path) => Path = path;

    public string Path { get; }

    /// <summary>The unpickled top-level object: usually a dict of name -> <see cref="TorchTensor"/>.</summary>
    public object? Root { get; protected set; }

    /// <summary>A read-only stream over exactly the bytes of <paramref name="storage"/>, from its first element.</summary>
    public abstract Stream OpenStorage(TorchStorage storage);

    public abstract void Dispose();

    public static TorchCheckpointFile Open(string path)
    {
        var kind = TorchFileSniffer.Sniff(path);
        return kind switch
        {
            TorchFileKind.Zip => TorchZipCheckpoint.OpenZip(path),
            TorchFileKind.Legacy => TorchLegacyCheckpoint.OpenLegacy(path),
            _ => throw new InvalidDataException($"{path}: not a torch.save file ({TorchFileSniffer.Describe(kind)})"),
        };
    }
}

/// <summary>
/// Turns the persistent ids torch.save writes for storages into shared <see cref="TorchStorage"/> instances.
/// Zip files write ('storage', StorageType, key, location, numel); legacy files add a sixth field,
/// view metadata, which is None unless the file predates PyTorch 0.4.
/// </summary>
internal sealed class TorchStorageTable(string source)
{
    private readonly Dictionary<string, TorchStorage> _byKey = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, TorchStorage> ByKey => _byKey;

    public object Load(object? pid)
    {
        if (pid is not PickleTuple { Count: 5 or 6 } id || id[0] is not "storage")
            throw new PickleFormatException($"unexpected persistent id {PickleText.Describe(pid)}; torch.save writes ('storage', type, key, location, numel)");
        if (id[1] is not PickleGlobal { Role: GlobalRole.StorageType, DType: { } dtype } storageType)
            throw new PickleFormatException($"persistent id names {PickleText.Describe(id[1])} where a torch storage type belongs");
        if (id[2] is not string key) throw new PickleFormatException($"storage key {PickleText.Describe(id[2])} is not a string");
        if (id[4] is not long numel || numel < 0) throw new PickleFormatException($"storage '{key}' has element count {PickleText.Describe(id[4])}");
        if (numel > long.MaxValue / dtype.SizeOf())
            throw new PickleFormatException($"storage '{key}' declares {numel} {dtype} elements, more bytes than a 64-bit length holds");
        if (id.Count == 6 && id[5] is not null)
            throw new NotSupportedException($"{source}: storage '{key}' is a pre-PyTorch-0.4 storage view; re-save the file with a current PyTorch");
        string location = id[3] as string ?? "cpu";

        if (_byKey.TryGetValue(key, out var existing))
        {
            if (existing.DType != dtype || existing.ElementCount != numel)
                throw new PickleFormatException($"storage '{key}' is declared twice, as {existing.DType}[{existing.ElementCount}] and {storageType.Name}[{numel}]");
            return existing;
        }
        var storage = new TorchStorage(key, dtype, numel, location);
        _byKey.Add(key, storage);
        return storage;
    }
}
