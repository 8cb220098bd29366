using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;

namespace Clara.Engine.Documents;

/// <summary>
/// A document store in a directory: an append-only data file (<c>documents.bin</c>, layout in <see cref="StoreRecords"/>)
/// whose committed prefix is named by a checksummed commit record (<c>commit</c>, see <see cref="StoreCommit"/>), read
/// through a memory map. A write appends its records, flushes them to disk, then replaces the commit record, so a
/// process killed at any moment leaves the store as of its last commit: opening it for writing drops the uncommitted
/// tail. The data file's header names the model fingerprint; opening with another is refused.
/// </summary>
/// <remarks>
/// One writer at a time (a lock file; another writer is refused at once), any number of readers, which see the store as
/// committed when they opened it. Safe to share between threads. Upsert and Remove append (the latest record of an id
/// wins), so replaced memories stay in the file.
/// </remarks>
public sealed class FileDocumentStore : IDocumentStore
{
    public const string DataFileName = "documents.bin";
    public const string CommitFileName = "commit";
    public const string LockFileName = "lock";

    private readonly object _gate = new();
    private readonly string _directory;
    private readonly string _dataPath;
    private readonly string _commitPath;
    private readonly FileStream _data;
    private readonly FileStream? _lock;
    private readonly Crc64 _checksum = new();
    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);
    private StoreCommit _commit;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private long _mapped;
    private bool _broken;

    private FileDocumentStore(string directory, string fingerprint, FileStream data, FileStream? writeLock, StoreCommit commit)
    {
        _directory = directory;
        _dataPath = Path.Combine(directory, DataFileName);
        _commitPath = Path.Combine(directory, CommitFileName);
        Fingerprint = fingerprint;
        _data = data;
        _lock = writeLock;
        _commit = commit;
    }

    public string Fingerprint { get; }

    /// <summary>Whether this instance may write (it holds the store's writer lock).</summary>
    public bool CanWrite => _lock is not null;

    /// <summary>True when <paramref name="directory"/> holds a store (its commit record).</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, CommitFileName));

    /// <summary>
    /// Opens the store in <paramref name="directory"/> for the memories of <paramref name="fingerprint"/>; for writing it is
    /// created when absent, and a tail left by an interrupted write is dropped.
    /// </summary>
    /// <exception cref="MemoryFingerprintMismatchException">The store holds memories of another model.</exception>
    /// <exception cref="IOException">No store there (read-only), or another process is writing it.</exception>
    /// <exception cref="InvalidDataException">The files are not a store's, or their checksums do not match.</exception>
    public static FileDocumentStore Open(string directory, string fingerprint, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        if (readOnly && !Exists(directory))
            throw new FileNotFoundException($"{directory} holds no clara document store (no {CommitFileName} record): build one with clara index", directory);
        FileStream? writeLock = null;
        FileStream? data = null;
        try
        {
            if (!readOnly)
            {
                Directory.CreateDirectory(directory);
                writeLock = TakeWriteLock(directory);
                if (!Exists(directory)) Create(directory, fingerprint);
            }
            var commit = StoreCommit.Read(Path.Combine(directory, CommitFileName));
            string dataPath = Path.Combine(directory, DataFileName);
            data = readOnly
                ? new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)
                : new FileStream(dataPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            if (data.Length < commit.Length)
                throw new InvalidDataException($"{dataPath} holds {data.Length} bytes but its commit record names {commit.Length}; the store is damaged");
            if (!readOnly && data.Length > commit.Length)
            {
                // An index run killed between appending and committing: those documents are compressed again on resume.
                data.SetLength(commit.Length);
                data.Flush(flushToDisk: true);
            }
            var store = new FileDocumentStore(directory, fingerprint, data, writeLock, commit);
            try
            {
                store.Load();
                return store;
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }
        catch
        {
            data?.Dispose();
            writeLock?.Dispose();
            throw;
        }
    }

    private static FileStream TakeWriteLock(string directory)
    {
        try
        {
            return new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{directory}: another process is writing this document store; wait for it to finish", e);
        }
    }

    private static void Create(string directory, string fingerprint)
    {
        var header = StoreRecords.Header(fingerprint);
        using (var data = new FileStream(Path.Combine(directory, DataFileName), FileMode.Create, FileAccess.Write, FileShare.Read))
        {
            data.Write(header);
            data.Flush(flushToDisk: true);
        }
        new StoreCommit(header.Length, 0, Crc64.HashToUInt64(header)).WriteAtomically(Path.Combine(directory, CommitFileName));
    }

    /// <summary>Checks the header's fingerprint and the committed bytes' checksum, then indexes the records by id.</summary>
    private void Load()
    {
        var (found, headerLength) = StoreRecords.ReadHeader(Read(0, (int)Math.Min(_commit.Length, 64 * 1024)), _dataPath);
        if (found != Fingerprint)
            throw new MemoryFingerprintMismatchException(
                $"the document store at {_directory} holds memories made by model '{found}', but this is model '{Fingerprint}'; " +
                "index into another store for this model, or delete that one and index again", Fingerprint, found);
        const int Chunk = 1 << 20;
        for (long at = 0; at < _commit.Length; at += Chunk)
            _checksum.Append(Read(at, (int)Math.Min(Chunk, _commit.Length - at)));
        if (_checksum.GetCurrentHashAsUInt64() != _commit.Checksum)
            throw new InvalidDataException($"{_dataPath}: the committed data does not match its checksum; the store is damaged");
        long records = 0;
        for (long at = headerLength; at < _commit.Length; records++)
        {
            var (kind, id, next) = StoreRecords.Peek(Read(at, (int)Math.Min(_commit.Length - at, int.MaxValue)), at, _dataPath);
            if (kind == StoreRecords.Put) _offsets[id] = at;
            else _offsets.Remove(id);
            at = next;
        }
        if (records != _commit.Records)
            throw new InvalidDataException($"{_dataPath}: holds {records} committed records, its commit record says {_commit.Records}");
    }

    public void Add(Document document, DocumentMemory memory)
    {
        FingerprintCheck.Writing(Fingerprint, document, memory, Name);
        lock (_gate)
        {
            if (_offsets.ContainsKey(document.Id))
                throw new InvalidOperationException($"{Name}: document '{document.Id}' is already stored; use Upsert to replace it");
            Append([StoreRecords.PutRecord(document, memory)], [(document.Id, true)]);
        }
    }

    public void Upsert(Document document, DocumentMemory memory) => UpsertMany([new StoredDocument(document, memory)]);

    /// <summary>Appends every document and commits them together: after a crash either all of them are stored or none.</summary>
    public void UpsertMany(IReadOnlyList<StoredDocument> documents)
    {
        foreach (var d in documents) FingerprintCheck.Writing(Fingerprint, d.Document, d.Memory, Name);
        if (documents.Count == 0) return;
        var records = documents.Select(d => StoreRecords.PutRecord(d.Document, d.Memory)).ToList();
        lock (_gate) Append(records, documents.Select(d => (d.Id, true)).ToList());
    }

    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            if (!_offsets.ContainsKey(id)) return false;
            Append([StoreRecords.RemoveRecord(id)], [(id, false)]);
            return true;
        }
    }

    /// <summary>Appends records after the committed bytes, flushes them to disk, then commits them. Called under the lock.</summary>
    private void Append(IReadOnlyList<byte[]> records, IReadOnlyList<(string Id, bool Put)> changes)
    {
        if (_lock is null) throw new InvalidOperationException($"{Name} was opened read-only");
        if (_broken) throw new InvalidOperationException($"{Name}: an earlier write failed; reopen the store (it holds what was committed)");
        try
        {
            var offsets = new long[records.Count];
            long at = _commit.Length;
            _data.Position = at;
            for (int i = 0; i < records.Count; i++)
            {
                offsets[i] = at;
                _data.Write(records[i]);
                at += records[i].Length;
            }
            _data.Flush(flushToDisk: true);
            foreach (var record in records) _checksum.Append(record);
            var commit = new StoreCommit(at, _commit.Records + records.Count, _checksum.GetCurrentHashAsUInt64());
            commit.WriteAtomically(_commitPath);
            _commit = commit;
            for (int i = 0; i < changes.Count; i++)
                if (changes[i].Put) _offsets[changes[i].Id] = offsets[i];
                else _offsets.Remove(changes[i].Id);
        }
        catch
        {
            // The checksum may already include bytes that were never committed: no later commit may build on it.
            _broken = true;
            throw;
        }
    }

    public bool TryGet(string id, [NotNullWhen(true)] out StoredDocument? stored)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            stored = _offsets.TryGetValue(id, out long offset) ? ReadDocument(offset) : null;
            return stored is not null;
        }
    }

    public IReadOnlyDictionary<string, StoredDocument> GetMany(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new Dictionary<string, StoredDocument>(StringComparer.Ordinal);
        foreach (var id in ids)
            if (TryGet(id ?? throw new ArgumentException("an id is null", nameof(ids)), out var stored))
                found[id] = stored;
        return found;
    }

    public int Count
    {
        get { lock (_gate) return _offsets.Count; }
    }

    /// <summary>The documents stored when the enumeration starts, in the order they were last written.</summary>
    public IEnumerable<StoredDocument> Enumerate()
    {
        long[] offsets;
        lock (_gate) offsets = _offsets.Values.Order().ToArray();
        foreach (long offset in offsets)
        {
            StoredDocument stored;
            lock (_gate) stored = ReadDocument(offset);
            yield return stored;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _view?.Dispose();
            _map?.Dispose();
            _data.Dispose();
            _lock?.Dispose();
            _view = null;
            _map = null;
        }
    }

    private string Name => $"document store {_directory}";

    private StoredDocument ReadDocument(long offset)
    {
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(Read(offset, 4));
        return StoreRecords.ReadPut(Read(offset, checked(4 + length)), Fingerprint, _dataPath);
    }

    /// <summary>
    /// Committed bytes through the memory map, remapped when the store grew past it. Called under the lock (or while
    /// opening); the span is valid until the next write.
    /// </summary>
    private unsafe ReadOnlySpan<byte> Read(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > _commit.Length)
            throw new InvalidDataException($"{_dataPath}: a read of {count} bytes at {offset} runs past the committed {_commit.Length} bytes");
        if (count == 0) return [];
        if (_view is null || offset + count > _mapped)
        {
            _view?.Dispose();
            _map?.Dispose();
            _map = MemoryMappedFile.CreateFromFile(_data, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            _mapped = _data.Length;
        }
        byte* start = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        try
        {
            return new ReadOnlySpan<byte>(start + _view.PointerOffset + offset, count);
        }
        finally
        {
            // The view stays mapped until it is disposed (under the lock), so the span outlives this release safely.
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }
}
