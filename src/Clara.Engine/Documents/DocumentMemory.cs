namespace Clara.Engine.Documents;

/// <summary>
/// A compressed document: n_mem × hidden floats (row-major, one row per memory token) and the fingerprint of the
/// model + compressor adapter that made them. Memories of different fingerprints live in different vector
/// spaces, so stores refuse to mix them. Immutable: the values are copied in and never handed out writable.
/// </summary>
public sealed class DocumentMemory
{
    private readonly float[] _values;

    public DocumentMemory(string fingerprint, int memoryTokens, int hidden, ReadOnlySpan<float> values)
        : this(fingerprint, memoryTokens, hidden, values.ToArray())
    {
    }

    private DocumentMemory(string fingerprint, int memoryTokens, int hidden, float[] values)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        if ((long)memoryTokens * hidden != values.Length)
            throw new ArgumentException($"a memory of {memoryTokens} × {hidden} needs {(long)memoryTokens * hidden} values, got {values.Length}", nameof(values));
        Fingerprint = fingerprint;
        MemoryTokens = memoryTokens;
        Hidden = hidden;
        _values = values;
    }

    /// <summary>
    /// A memory from its stored form, <paramref name="bytes"/> of little-endian float32 (n_mem × hidden, row-major),
    /// bit for bit on any host: what a store outside the engine reads back from <see cref="ToLittleEndianBytes"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a whole number of floats.</exception>
    /// <exception cref="ArgumentException">They are not n_mem × hidden floats.</exception>
    public static DocumentMemory FromLittleEndianBytes(string fingerprint, int memoryTokens, int hidden, ReadOnlySpan<byte> bytes) =>
        new(fingerprint, memoryTokens, hidden, LittleEndianFloats.FromBytes(bytes));

    /// <summary>The values as little-endian float32 bytes (n_mem × hidden, row-major): the form a store keeps.</summary>
    public byte[] ToLittleEndianBytes() => LittleEndianFloats.ToBytes(_values);

    public string Fingerprint { get; }
    public int MemoryTokens { get; }
    public int Hidden { get; }

    /// <summary>n_mem × hidden values, row-major.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Row <paramref name="memoryToken"/> (hidden values).</summary>
    public ReadOnlySpan<float> Row(int memoryToken) => _values.AsSpan(checked(memoryToken * Hidden), Hidden);
}
