namespace Clara.Engine.Documents;

/// <summary>A document with its compressed memory, as a store returns it.</summary>
public sealed record StoredDocument(Document Document, DocumentMemory Memory)
{
    public string Id => Document.Id;
}
