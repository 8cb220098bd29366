using System.CommandLine;
using System.Diagnostics;
using Clara.CommandLine;
using Clara.Engine.Documents;
using Clara.Engine.Pipeline;

namespace Clara.Cli;

/// <summary>
/// clara index: compresses a documents file once into a store (a directory by default, or PostgreSQL), a batch of
/// documents per commit. A run that is killed or interrupted loses at most the batch in flight; run it again and it
/// skips what is stored with the same content, so nothing is compressed twice or stored twice.
/// </summary>
internal sealed class IndexCommand : ICommand
{
    private readonly Option<string> _model = ModelOption.OrDefault();
    private readonly Option<string> _docs = Options.RequiredText("--docs", "FILE.jsonl", "the documents ({\"id\",\"text\"} or {\"id\",\"ids\"} lines)");
    private readonly Option<string> _store = Options.RequiredText("--store", "PATH|postgres://…", "the store: a directory, or a PostgreSQL URL");
    private readonly Option<int> _commitEvery = Options.Int("--commit-every", "N", 64, "documents per committed batch", min: 1);
    private readonly BackendOptions _backend = new();

    public Command Create() =>
        new Command("index", "compress documents once into a store (append-only directory, or PostgreSQL) that ask, rerank and serve read; resumes where a killed run stopped")
            .With([_model, _docs, _store, _commitEvery, .. _backend.All]).With(Run);

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var docsPath = p.GetValue(_docs)!;
        var location = StoreLocation.Parse(p.GetValue(_store)!);
        int commitEvery = p.GetValue(_commitEvery);
        using var backend = _backend.Create(p);

        var lines = DocumentsFile.Read(docsPath);
        using var model = ClaraModel.Load(modelPath, backend);
        using var store = location.Open(model.Fingerprint, write: true);
        var pending = NotYetStored(store, lines);
        int already = lines.Count - pending.Count;

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        var clock = Stopwatch.StartNew();
        int committed = 0;
        using var progress = TerminalProgress.ForStandardError(stderr, pending.Count, "documents");
        try
        {
            foreach (var batch in pending.Chunk(commitEvery))
            {
                var texts = ClaraInputs.DocumentIds(model, batch, docsPath);
                var compressed = model.Compress(texts, progress: progress is null ? null : new Offset(progress, committed), cancellation: cancel.Token);
                store.UpsertMany(batch.Select((line, i) => new StoredDocument(new Document(line.Id, line.Text, line.Ids),
                    new DocumentMemory(model.Fingerprint, compressed.MemoryTokens, compressed.Hidden, compressed.Document(i).Span))).ToList());
                committed += batch.Length;
                progress?.Report(committed);
            }
        }
        catch (OperationCanceledException)
        {
            progress?.Finish();
            stderr.WriteLine($"clara index: interrupted; {already + committed} of {lines.Count} documents are stored in {location.Text}; run it again to go on");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        progress?.Finish();
        double seconds = clock.Elapsed.TotalSeconds;
        stdout.WriteLine($"indexed {committed} documents into {location.Text} ({already} already stored, {store.Count} in the store) " +
                         $"in {seconds:F1} s ({(seconds > 0 ? committed / seconds : 0):F1} documents/s)");
        return 0;
    }

    /// <summary>The lines whose id is not stored, or is stored with other content (it is compressed and replaced).</summary>
    private static List<DocumentLine> NotYetStored(IDocumentStore store, IReadOnlyList<DocumentLine> lines)
    {
        var pending = new List<DocumentLine>();
        foreach (var chunk in lines.Chunk(1024))
        {
            var stored = store.GetMany(chunk.Select(l => l.Id));
            pending.AddRange(chunk.Where(l => !stored.TryGetValue(l.Id, out var s) || !SameContent(s.Document, l)));
        }
        return pending;
    }

    private static bool SameContent(Document stored, DocumentLine line) =>
        stored.Text == line.Text && (stored.TokenIds is null ? line.Ids is null : line.Ids is not null && stored.TokenIds.SequenceEqual(line.Ids));

    /// <summary>Progress within a batch, counted from the documents committed before it.</summary>
    private sealed class Offset(IProgress<int> inner, int before) : IProgress<int>
    {
        public void Report(int value) => inner.Report(before + value);
    }
}
