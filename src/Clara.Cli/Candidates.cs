using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Pipeline;

namespace Clara.Cli;

/// <summary>--docs FILE.jsonl or --store PATH|postgres://…, exactly one.</summary>
internal sealed class CandidateOptions
{
    public Option<string> Docs { get; } = Options.Text("--docs", "FILE.jsonl", "the documents, compressed now ({\"id\",\"text\"} or {\"id\",\"ids\"} lines)");
    public Option<string> Store { get; } = Options.Text("--store", "PATH|postgres://…", "a store built by clara index");

    public Option[] All => [Docs, Store];

    public void AddRulesTo(Command command) =>
        OptionRules.ExactlyOne(command, "give exactly one of --docs FILE.jsonl or --store PATH|postgres://…", Docs, Store);
}

/// <summary>
/// The documents a question is ranked against: a documents file (--docs, compressed now) or a store (--store, compressed
/// once by clara index). Read before the model is loaded, so a mistake costs nothing.
/// </summary>
internal sealed class Candidates
{
    private readonly string? _docsPath;
    private readonly StoreLocation? _store;
    private IReadOnlyList<DocumentLine>? _lines;

    private Candidates(string? docsPath, StoreLocation? store)
    {
        _docsPath = docsPath;
        _store = store;
    }

    /// <summary>Reads and checks the documents file (after the options are known good, before the model loads).</summary>
    public void Prepare()
    {
        if (_docsPath is not null) _lines = DocumentsFile.Read(_docsPath);
    }

    public static Candidates Read(CandidateOptions options, System.CommandLine.ParseResult p)
    {
        var store = p.GetValue(options.Store);
        return new Candidates(p.GetValue(options.Docs), store is null ? null : StoreLocation.Parse(store));
    }

    /// <summary>The documents' ids (in the order of the memory) and their memories.</summary>
    public (IReadOnlyList<string> Ids, CompressedDocuments Memory) Load(ClaraModel model)
    {
        if (_docsPath is not null)
        {
            _lines ??= DocumentsFile.Read(_docsPath);
            return (_lines.Select(l => l.Id).ToList(), model.Compress(ClaraInputs.DocumentIds(model, _lines, _docsPath)));
        }
        using var store = _store!.Open(model.Fingerprint, write: false);
        var (documents, memory) = new DocumentIndexer(model, store).Candidates();
        return (documents.Select(d => d.Id).ToList(), memory);
    }
}
