namespace Clara.Engine.Documents;

/// <summary>A document of a corpus: its id, and its text and/or token ids (either may be absent).</summary>
public sealed class Document
{
    public Document(string id, string? text = null, IReadOnlyList<int>? tokenIds = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
        Text = text;
        TokenIds = tokenIds?.ToArray();
    }

    public string Id { get; }
    public string? Text { get; }

    /// <summary>The ids the memory was compressed from, when the caller gave them (a copy, never shared).</summary>
    public IReadOnlyList<int>? TokenIds { get; }
}
