using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Clara.Engine.Documents;

/// <summary>The default store: a thread-safe dictionary in this process. Stored objects are immutable, so they are shared, not copied.</summary>
public sealed class InMemoryDocumentStore(string fingerprint) : IDocumentStore
{
    private const string Name = "in-memory document store";
    private readonly ConcurrentDictionary<string, StoredDocument> _documents = new(StringComparer.Ordinal);

    public string Fingerprint { get; } = !string.IsNullOrEmpty(fingerprint) ? fingerprint : throw new ArgumentException("a store needs a model fingerprint", nameof(fingerprint));

    public void Add(Document document, DocumentMemory memory)
    {
        FingerprintCheck.Writing(Fingerprint, document, memory, Name);
        if (!_documents.TryAdd(document.Id, new StoredDocument(document, memory)))
            throw new InvalidOperationException($"{Name}: document '{document.Id}' is already stored; use Upsert to replace it");
    }

    public void Upsert(Document document, DocumentMemory memory)
    {
        FingerprintCheck.Writing(Fingerprint, document, memory, Name);
        _documents[document.Id] = new StoredDocument(document, memory);
    }

    public bool TryGet(string id, [NotNullWhen(true)] out StoredDocument? stored)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _documents.TryGetValue(id, out stored);
    }

    public IReadOnlyDictionary<string, StoredDocument> GetMany(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new Dictionary<string, StoredDocument>(StringComparer.Ordinal);
        foreach (var id in ids)
            if (_documents.TryGetValue(id ?? throw new ArgumentException("an id is null", nameof(ids)), out var stored))
                found[id] = stored;
        return found;
    }

    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _documents.TryRemove(id, out _);
    }

    public int Count => _documents.Count;

    /// <summary>A snapshot: writes during the enumeration do not disturb it.</summary>
    public IEnumerable<StoredDocument> Enumerate() => _documents.Values.ToArray();

    public void Dispose() { }
}
