namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>One caller's documents (or questions) to compress with one adapter, filled in as batches finish.</summary>
internal sealed class CompressionWork : SchedulerWork<CompressedDocuments>
{
    private readonly float[] _memory;
    private readonly float[] _mse;
    private readonly int _width;

    public CompressionWork(IReadOnlyList<IReadOnlyList<int>> texts, string adapter, int memoryTokens, int hidden,
        IProgress<int>? progress, CancellationToken cancellation) : base(cancellation)
    {
        Texts = texts;
        Adapter = adapter;
        Progress = progress;
        MemoryTokens = memoryTokens;
        Hidden = hidden;
        _width = memoryTokens * hidden;
        _memory = new float[(long)texts.Count * _width];
        _mse = new float[texts.Count];
    }

    public IReadOnlyList<IReadOnlyList<int>> Texts { get; }
    public string Adapter { get; }
    public IProgress<int>? Progress { get; }
    public int MemoryTokens { get; }
    public int Hidden { get; }

    /// <summary>Documents handed to a batch so far; those before it are done.</summary>
    public int Taken { get; set; }

    public bool AllTaken => Taken == Texts.Count;

    /// <summary>Stores document <paramref name="index"/>'s result, copied from a batch's output.</summary>
    public void Store(int index, CompressedDocuments batch, int row)
    {
        batch.Document(row).Span.CopyTo(_memory.AsSpan(index * _width, _width));
        _mse[index] = batch.Mse[row];
    }

    public void Complete() => Succeed(new CompressedDocuments(Texts.Count, MemoryTokens, Hidden, _memory, _mse));
}
