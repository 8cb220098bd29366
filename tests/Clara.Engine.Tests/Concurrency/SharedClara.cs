using Clara.Engine.AI;
using Clara.Engine.Documents;
using Clara.Engine.Pipeline;
using Clara.Engine.Pipeline.Scheduling;
using Clara.Engine.Tests.Support;

namespace Clara.Engine.Tests.Concurrency;

/// <summary>
/// One tiny CLaRa model with a tokenizer (the oracle's clara-text fixture) and a small indexed corpus, shared by every
/// caller of a concurrency test, plus the requests those tests send and helpers to compare results bit for bit.
/// </summary>
internal sealed class SharedClara : IDisposable
{
    public static readonly string[] Corpus =
    [
        "Paris is the capital of France.",
        "Berlin is the capital of Germany.",
        "Mount Everest is the tallest mountain in the world.",
        "The Nile is a long river in Africa.",
        "Water boils at one hundred degrees.",
        "Rome was not built in a day.",
    ];

    public static readonly string[] Questions =
    [
        "What is the capital of France?",
        "Which mountain is the tallest?",
        "Where is the Nile?",
        "When does water boil?",
        "What is the capital of Germany?",
    ];

    public SharedClara(SchedulerOptions? scheduling = null)
    {
        Model = ClaraModel.Load(Fixtures.Clara("clara-text"), null, scheduling);
        Store = new InMemoryDocumentStore(Model.Fingerprint);
        Index = new DocumentIndexer(Model, Store);
        Index.Index(Corpus.Select((text, i) => new Document($"doc{i}", text)).ToList());
        Candidates = Index.Candidates().Memory;
    }

    public ClaraModel Model { get; }
    public InMemoryDocumentStore Store { get; }
    public DocumentIndexer Index { get; }
    public CompressedDocuments Candidates { get; }

    /// <summary>Greedy for even request numbers, seeded nucleus sampling for odd ones; k and lengths vary too.</summary>
    public static GenerationOptions Options(int request) => request % 2 == 0
        ? new GenerationOptions { MaxNewTokens = 6 + request % 5 }
        : new GenerationOptions { MaxNewTokens = 6 + request % 5, Temperature = 1.3f, TopP = 0.9f, Seed = 1000 + request };

    public static int K(int request) => 1 + request % 3;

    public static string Question(int request) => Questions[request % Questions.Length];

    public ClaraAnswer Ask(int request, Action<int, int>? onToken = null, CancellationToken cancellation = default) =>
        Model.Ask(Question(request), Candidates, Options(request), K(request), onToken, cancellation);

    /// <summary>
    /// Request <paramref name="request"/>'s generation alone (the prompt and memories <see cref="Ask"/> builds for it),
    /// submitted straight to the scheduler: one stage, so it is queued the moment this returns.
    /// </summary>
    public Task<int[]> Generate(int request, int[] topK, CancellationToken cancellation = default, Action<int>? onToken = null)
    {
        var prompt = new GenerationPrompt(Model.BuildPrompt(Question(request), K(request)), topK.Select(Candidates.Document).ToArray());
        return Model.Scheduler.GenerateAsync(prompt, Options(request), onToken, cancellation);
    }

    /// <summary>A compression request: a slice of the corpus (its ids) with a batch size, both varying by request.</summary>
    public CompressedDocuments Compress(int request)
    {
        var texts = Corpus.Skip(request % 3).Take(2 + request % 4).Select(t => (IReadOnlyList<int>)Model.Encode(t)).ToList();
        return Model.Compress(texts, batchSize: 1 + request % 3);
    }

    public void Dispose()
    {
        Store.Dispose();
        Model.Dispose();
    }
}

/// <summary>Bit-for-bit comparisons: two results are the same only if every float has the same bits.</summary>
internal static class Bits
{
    public static bool Same(float[] a, float[] b) =>
        a.Length == b.Length && a.AsSpan().SequenceEqual(b) && a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits));

    public static bool Same(ClaraAnswer a, ClaraAnswer b) =>
        a.AnswerIds.SequenceEqual(b.AnswerIds) && a.TopK.SequenceEqual(b.TopK) && Same(a.Scores, b.Scores) && Same(a.Query, b.Query);

    public static bool Same(CompressedDocuments a, CompressedDocuments b) => Same(a.Memory, b.Memory) && Same(a.Mse, b.Mse);

    public static string Describe(ClaraAnswer a) => $"answer [{string.Join(",", a.AnswerIds)}] topk [{string.Join(",", a.TopK)}]";
}
