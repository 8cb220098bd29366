using Clara.Engine.Documents;

namespace Clara.Engine.Pipeline;

/// <summary>Compresses documents once into a store, and gathers stored memories back as rerank candidates.</summary>
public sealed class DocumentIndexer
{
    public DocumentIndexer(ClaraModel model, IDocumentStore store)
    {
        if (store.Fingerprint != model.Fingerprint)
            throw new MemoryFingerprintMismatchException(
                $"the store holds memories of model {store.Fingerprint}, not of {model.Decoder.Source} ({model.Fingerprint})",
                store.Fingerprint, model.Fingerprint);
        Model = model;
        Store = store;
    }

    public ClaraModel Model { get; }
    public IDocumentStore Store { get; }

    /// <summary>Compresses every document (text through the tokenizer, or its token ids) and upserts them with their memories together.</summary>
    public void Index(IReadOnlyList<Document> documents, int batchSize = 8, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var ids = documents.Select(d => d.TokenIds ?? (d.Text is { } t ? Model.EncodeDocument(t) : throw new ArgumentException($"document '{d.Id}' has neither text nor token ids"))).ToList();
        var compressed = Model.Compress(ids, batchSize, progress, cancellation);
        Store.UpsertMany(documents.Select((d, i) =>
            new StoredDocument(d, new DocumentMemory(Model.Fingerprint, compressed.MemoryTokens, compressed.Hidden, compressed.Document(i).Span))).ToList());
    }

    /// <summary>The stored documents (all of them, or those named) as candidates, with their ids in the same order.</summary>
    public (IReadOnlyList<Document> Documents, CompressedDocuments Memory) Candidates(IEnumerable<string>? ids = null)
    {
        var stored = ids is null
            ? Store.Enumerate().OrderBy(s => s.Id, StringComparer.Ordinal).ToList()
            : ids.Select(id => Store.TryGet(id, out var s) ? s : throw new KeyNotFoundException($"document '{id}' is not in the store")).ToList();
        if (stored.Count == 0) throw new InvalidOperationException("the document store is empty: index documents first");
        int nMem = Model.Config.MemoryTokens, hidden = Model.Decoder.Config.HiddenSize;
        foreach (var s in stored)
            if (s.Memory.MemoryTokens != nMem || s.Memory.Hidden != hidden)
                throw new InvalidDataException($"document '{s.Id}' holds a {s.Memory.MemoryTokens}×{s.Memory.Hidden} memory; this model makes {nMem}×{hidden}");
        // Chunks of whole documents: one float[count·n_mem·hidden] passes the array limit for a large corpus.
        var memory = CompressedDocuments.Gather(stored.Count, nMem, hidden,
            (i, destination) => stored[i].Memory.Values.CopyTo(destination), new float[stored.Count]);
        return (stored.Select(s => s.Document).ToList(), memory);
    }
}
