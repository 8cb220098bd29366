namespace Clara.Engine.Documents;

/// <summary>A memory made by another model or compressor adapter than the one a store serves.</summary>
public sealed class MemoryFingerprintMismatchException(string message, string expected, string actual) : InvalidOperationException(message)
{
    /// <summary>The fingerprint the store serves.</summary>
    public string Expected { get; } = expected;

    /// <summary>The fingerprint that was offered or found.</summary>
    public string Actual { get; } = actual;
}
