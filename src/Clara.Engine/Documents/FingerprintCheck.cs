namespace Clara.Engine.Documents;

/// <summary>
/// The one wording of a fingerprint refusal, shared by the stores: the engine's and those of other packages
/// (Clara.Engine.Postgres), so every <see cref="IDocumentStore"/> refuses another model's memories alike.
/// </summary>
public static class FingerprintCheck
{
    /// <summary>Refuses to store <paramref name="memory"/> in <paramref name="store"/> (its name, for the message) unless it is of the store's model.</summary>
    /// <exception cref="MemoryFingerprintMismatchException">The memory was made by another model.</exception>
    public static void Writing(string storeFingerprint, Document document, DocumentMemory memory, string store)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(memory);
        if (memory.Fingerprint != storeFingerprint)
            throw new MemoryFingerprintMismatchException(
                $"{store}: the memory of document '{document.Id}' was made by model '{memory.Fingerprint}', but this store holds memories of " +
                $"model '{storeFingerprint}'; compress the document with that model, or use a store for '{memory.Fingerprint}'",
                storeFingerprint, memory.Fingerprint);
    }

    /// <summary>Refuses a row of <paramref name="store"/> whose memory (<paramref name="found"/>) was made by another model than the store's.</summary>
    /// <exception cref="MemoryFingerprintMismatchException">The row holds another model's memory.</exception>
    public static void Reading(string storeFingerprint, string documentId, string found, string store)
    {
        if (found != storeFingerprint)
            throw new MemoryFingerprintMismatchException(
                $"{store}: document '{documentId}' holds a memory made by model '{found}', but this store serves model '{storeFingerprint}'; " +
                "recompress it with this model or remove it",
                storeFingerprint, found);
    }
}
