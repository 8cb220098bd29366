namespace Clara.Engine.Training;

/// <summary>What a position of a compressor input row contributes to the §2 alignment loss.</summary>
public enum MemoryTokenRole
{
    /// <summary>Padding: not counted.</summary>
    Ignored = 0,

    /// <summary>An attended position that is not a memory token (document text, markers).</summary>
    Document = 1,

    /// <summary>A memory-token position.</summary>
    Memory = 2,
}
