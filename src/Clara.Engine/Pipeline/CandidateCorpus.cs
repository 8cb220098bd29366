using Clara.Engine.Documents;

namespace Clara.Engine.Pipeline;

/// <summary>
/// A fixed set of candidate documents with their memories, gathered once (a server reads its store at start), so each
/// request scores the same candidates without reading and copying the whole store again.
/// </summary>
public sealed class CandidateCorpus
{
    private readonly Dictionary<string, int> _positions;

    public CandidateCorpus(IReadOnlyList<Document> documents, CompressedDocuments memory)
    {
        if (documents.Count != memory.Count)
            throw new ArgumentException($"{documents.Count} documents for {memory.Count} memories", nameof(documents));
        Documents = documents;
        Memory = memory;
        _positions = new Dictionary<string, int>(documents.Count, StringComparer.Ordinal);
        for (int i = 0; i < documents.Count; i++)
            if (!_positions.TryAdd(documents[i].Id, i)) throw new ArgumentException($"document '{documents[i].Id}' is listed twice", nameof(documents));
    }

    /// <summary>Every document of the indexer's store (in the indexer's order), read once.</summary>
    public static CandidateCorpus Load(DocumentIndexer index)
    {
        var (documents, memory) = index.Candidates();
        return new CandidateCorpus(documents, memory);
    }

    public IReadOnlyList<Document> Documents { get; }
    public CompressedDocuments Memory { get; }
    public int Count => Documents.Count;

    /// <summary>All candidates when <paramref name="ids"/> is null, else those named, in the order named.</summary>
    /// <exception cref="KeyNotFoundException">An id is not in the corpus.</exception>
    public (IReadOnlyList<Document> Documents, CompressedDocuments Memory) Select(IEnumerable<string>? ids)
    {
        if (ids is null) return (Documents, Memory);
        var positions = ids.Select(id => _positions.TryGetValue(id ?? throw new ArgumentException("a document id is null", nameof(ids)), out int p)
            ? p : throw new KeyNotFoundException($"document '{id}' is not in the corpus")).ToArray();
        if (positions.Length == 0) throw new ArgumentException("the list of document ids is empty", nameof(ids));
        var memory = CompressedDocuments.Gather(positions.Length, Memory.MemoryTokens, Memory.Hidden,
            (i, destination) => Memory.Document(positions[i]).Span.CopyTo(destination), new float[positions.Length]);
        return (positions.Select(p => Documents[p]).ToList(), memory);
    }
}
