using System.Diagnostics.CodeAnalysis;

namespace Clara.Engine.Documents;

/// <summary>
/// Documents with their compressed memories, so a corpus is compressed once. A store serves one
/// <see cref="Fingerprint"/> (model + compressor adapter): writing or reading a memory of another fingerprint
/// throws <see cref="MemoryFingerprintMismatchException"/>. Implementations are safe to use from several threads.
/// </summary>
public interface IDocumentStore : IDisposable
{
    /// <summary>The fingerprint of the model whose memories this store holds.</summary>
    string Fingerprint { get; }

    /// <summary>Adds a document; throws <see cref="InvalidOperationException"/> when its id is already stored.</summary>
    void Add(Document document, DocumentMemory memory);

    /// <summary>Adds a document or replaces the one with the same id.</summary>
    void Upsert(Document document, DocumentMemory memory);

    /// <summary>
    /// Adds or replaces several documents. A store that can (<see cref="FileDocumentStore"/>) commits them together, so an
    /// interrupted call stores all of them or none; the default upserts them one by one.
    /// </summary>
    void UpsertMany(IReadOnlyList<StoredDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        foreach (var d in documents) Upsert(d.Document, d.Memory);
    }

    bool TryGet(string id, [NotNullWhen(true)] out StoredDocument? stored);

    /// <summary>The stored documents among <paramref name="ids"/>, by id; ids not stored are absent from the result.</summary>
    IReadOnlyDictionary<string, StoredDocument> GetMany(IEnumerable<string> ids);

    /// <returns>Whether a document with that id was stored.</returns>
    bool Remove(string id);

    int Count { get; }

    /// <summary>Every stored document, in no particular order.</summary>
    IEnumerable<StoredDocument> Enumerate();
}
