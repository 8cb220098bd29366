using Clara.Convert.Pickle;

namespace Clara.Convert.Torch;

/// <summary>
/// The pre-1.6 torch.save layout (still written with <c>_use_new_zipfile_serialization=False</c>): five pickles
/// back to back (magic number, protocol version 1001, sys info, the object tree, the list of storage keys),
/// then for each listed key an int64 element count followed by the storage's raw bytes.
/// </summary>
internal sealed class TorchLegacyCheckpoint : TorchCheckpointFile
{
    private const long ProtocolVersion = 1001;

    private readonly FileStream _file;
    private readonly Dictionary<string, long> _dataOffsets = new(StringComparer.Ordinal);

    private TorchLegacyCheckpoint(string path, FileStream file) : base(path) => _file = file;

    public static TorchLegacyCheckpoint OpenLegacy(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            var checkpoint = new TorchLegacyCheckpoint(path, file);
            checkpoint.Load();
            return checkpoint;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public override Stream OpenStorage(TorchStorage storage)
    {
        if (!_dataOffsets.TryGetValue(storage.Key, out long offset))
            throw new InvalidDataException($"{Path}: storage '{storage.Key}' is not in the file's storage list");
        var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return new SubStream(file, offset, storage.ByteLength);
    }

    public override void Dispose() => _file.Dispose();

    private void Load()
    {
        var storages = new TorchStorageTable(Path);
        object NoPersistentIds(object? pid) => throw new PickleFormatException("a persistent id in a header pickle");

        ReadPickle("magic number", NoPersistentIds);
        if (ReadPickle("protocol version", NoPersistentIds) is not ProtocolVersion and var version)
            throw new NotSupportedException($"{Path}: legacy protocol version {PickleText.Describe(version)}; only {ProtocolVersion} is supported");
        if (ReadPickle("sys info", NoPersistentIds) is PickleDict sysInfo &&
            sysInfo.Items.FirstOrDefault(kv => kv.Key is "little_endian").Value is false)
            throw new NotSupportedException($"{Path}: written on a big-endian machine; only little-endian checkpoints are supported");
        Root = ReadPickle("object tree", storages.Load);
        if (ReadPickle("storage keys", NoPersistentIds) is not List<object?> keys)
            throw new InvalidDataException($"{Path}: the storage key list is missing");

        long position = _file.Position;
        Span<byte> countBytes = stackalloc byte[8];
        foreach (var keyObject in keys)
        {
            if (keyObject is not string key || !storages.ByKey.TryGetValue(key, out var storage))
                throw new InvalidDataException($"{Path}: storage list names {PickleText.Describe(keyObject)}, which no tensor uses");
            if (position + 8 > _file.Length) throw Truncated(key);
            _file.Position = position;
            _file.ReadExactly(countBytes);
            long count = BitConverter.ToInt64(countBytes);
            if (count != storage.ElementCount)
                throw new InvalidDataException($"{Path}: storage '{key}' record holds {count} elements, its pickle declares {storage.ElementCount}");
            _dataOffsets[key] = position + 8;
            position = checked(position + 8 + storage.ByteLength);
            if (position > _file.Length) throw Truncated(key);
        }
        foreach (var key in storages.ByKey.Keys)
            if (!_dataOffsets.ContainsKey(key))
                throw new InvalidDataException($"{Path}: storage '{key}' is used by a tensor but has no data record");
    }

    private object? ReadPickle(string what, Func<object?, object> persistentLoad)
    {
        try
        {
            return new RestrictedUnpickler(_file, $"{Path} ({what} pickle)", persistentLoad).Load();
        }
        catch (PickleFormatException e) when (_file.Position >= _file.Length)
        {
            throw new InvalidDataException($"{Path}: the file is truncated inside its {what} pickle", e);
        }
    }

    private InvalidDataException Truncated(string key) =>
        new($"{Path}: the file is truncated: the data of storage '{key}' runs past its end ({_file.Length} bytes)");
}
