using System.IO.Compression;
using System.Text;
using Clara.Convert.Pickle;

namespace Clara.Convert.Torch;

/// <summary>
/// The zip layout torch.save writes since PyTorch 1.6: <c>ARCHIVE/data.pkl</c> (the object tree, storages
/// replaced by persistent ids), <c>ARCHIVE/data/KEY</c> (one raw little-endian record per storage),
/// <c>ARCHIVE/version</c> and, from PyTorch 2.1, <c>ARCHIVE/byteorder</c>. ARCHIVE is the file's stem at save time.
/// </summary>
internal sealed class TorchZipCheckpoint : TorchCheckpointFile
{
    private const long MaxPickleBytes = 1L << 30; // data.pkl of a 7B model is ~100 KB; anything near this is not a checkpoint.

    private readonly ZipArchive _zip;
    private readonly string _archive;

    private TorchZipCheckpoint(string path, ZipArchive zip, string archive) : base(path)
    {
        _zip = zip;
        _archive = archive;
    }

    public static TorchZipCheckpoint OpenZip(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: the zip archive is damaged or truncated ({e.Message})", e);
        }
        try
        {
            var checkpoint = new TorchZipCheckpoint(path, zip, FindArchiveName(path, zip));
            checkpoint.Load();
            return checkpoint;
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    public override Stream OpenStorage(TorchStorage storage)
    {
        var entry = StorageEntry(storage);
        try
        {
            return entry.Open();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path}: record {entry.FullName} cannot be read ({e.Message})", e);
        }
    }

    public override void Dispose() => _zip.Dispose();

    private void Load()
    {
        var byteOrder = _zip.GetEntry($"{_archive}/byteorder");
        if (byteOrder is not null)
        {
            string order = ReadSmallText(byteOrder).Trim();
            if (order != "little")
                throw new NotSupportedException($"{Path}: storages are stored {order}-endian; only little-endian checkpoints are supported");
        }

        var pickleEntry = _zip.GetEntry($"{_archive}/data.pkl")!;
        if (pickleEntry.Length > MaxPickleBytes)
            throw new InvalidDataException($"{Path}: data.pkl is {pickleEntry.Length} bytes, far more than any state dict needs");
        using var pickle = new MemoryStream(checked((int)pickleEntry.Length));
        using (var source = pickleEntry.Open()) source.CopyTo(pickle);
        pickle.Position = 0;

        var storages = new TorchStorageTable(Path);
        Root = new RestrictedUnpickler(pickle, $"{Path} ({_archive}/data.pkl)", storages.Load).Load();
        // Sizes the pickle declares are checked against the records' real sizes now, before any tensor is planned.
        foreach (var storage in storages.ByKey.Values) StorageEntry(storage);
    }

    private ZipArchiveEntry StorageEntry(TorchStorage storage)
    {
        string name = $"{_archive}/data/{storage.Key}";
        var entry = _zip.GetEntry(name)
            ?? throw new InvalidDataException($"{Path}: storage '{storage.Key}' has no record {name} in the archive");
        if (entry.Length != storage.ByteLength)
            throw new InvalidDataException(
                $"{Path}: record {name} holds {entry.Length} bytes, but its pickle declares {storage.ElementCount} {storage.DType} elements ({storage.ByteLength} bytes)");
        return entry;
    }

    private static string FindArchiveName(string path, ZipArchive zip)
    {
        var candidates = zip.Entries
            .Select(e => e.FullName)
            .Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.IndexOf('/') == n.Length - "/data.pkl".Length)
            .ToList();
        return candidates.Count switch
        {
            1 => candidates[0][..^"/data.pkl".Length],
            0 => throw new InvalidDataException($"{path}: a zip archive but not a torch.save file (no ARCHIVE/data.pkl entry)"),
            _ => throw new InvalidDataException($"{path}: several data.pkl entries ({string.Join(", ", candidates)}); a torch.save file has one"),
        };
    }

    private static string ReadSmallText(ZipArchiveEntry entry)
    {
        if (entry.Length > 64) throw new InvalidDataException($"{entry.FullName} is {entry.Length} bytes; expected a short word");
        using var reader = new StreamReader(entry.Open(), Encoding.ASCII);
        return reader.ReadToEnd();
    }
}
