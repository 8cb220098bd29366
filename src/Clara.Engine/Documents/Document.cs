namespace Clara.Engine.Documents;

/// <summary>A document of a corpus: its id, and its text and/or token ids (either may be absent).</summary>
public sealed class Document
{
    public Document(string id, string? text = null, IReadOnlyList<int>? tokenIds = null)
    {
        DocumentIds.Validate(id);
        if (text?.Contains('\0') == true) throw new ArgumentException($"document '{id}': its text contains a NUL character, which PostgreSQL text cannot store", nameof(text));
        Id = id;
        Text = text;
        TokenIds = tokenIds?.ToArray();
    }

    public string Id { get; }
    public string? Text { get; }

    /// <summary>The ids the memory was compressed from, when the caller gave them (a copy, never shared).</summary>
    public IReadOnlyList<int>? TokenIds { get; }
}

/// <summary>
/// What a document id may be, for every store alike: non-empty and without NUL, which PostgreSQL text cannot hold.
/// The in-memory store applies the same rule so a corpus that works in one store works in the other.
/// </summary>
public static class DocumentIds
{
    public static void Validate(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.Contains('\0')) throw new ArgumentException($"document id '{id.Replace("\0", "\\0")}' contains a NUL character, which no store accepts", nameof(id));
    }
}
