namespace Clara.Engine.Documents;

/// <summary>The one wording of a fingerprint refusal, shared by the stores.</summary>
internal static class FingerprintCheck
{
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

    public static void Reading(string storeFingerprint, string documentId, string found, string store)
    {
        if (found != storeFingerprint)
            throw new MemoryFingerprintMismatchException(
                $"{store}: document '{documentId}' holds a memory made by model '{found}', but this store serves model '{storeFingerprint}'; " +
                "recompress it with this model or remove it",
                storeFingerprint, found);
    }
}
