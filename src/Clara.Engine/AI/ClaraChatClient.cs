using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Clara.Engine.Pipeline;
using Microsoft.Extensions.AI;

namespace Clara.Engine.AI;

/// <summary>
/// CLaRa as a Microsoft.Extensions.AI <see cref="IChatClient"/>: the last user message is the question, the candidates
/// are the indexed documents (all, or the ids in <c>ChatOptions.AdditionalProperties["clara.document_ids"]</c>), and the
/// answer comes from the top-k memories. The response's AdditionalProperties carry the chosen document ids and
/// every score, so callers can cite sources.
/// </summary>
/// <remarks>
/// Safe to share (register it as a singleton): concurrent requests and streams give the answers they give alone,
/// and a stream that ends early (cancelled, abandoned, failed) has stopped its generation when its enumeration ends.
/// </remarks>
public sealed class ClaraChatClient(DocumentIndexer index, int? topK = null) : IChatClient
{
    public const string DocumentIdsKey = "clara.document_ids";
    public const string TopKKey = "clara.topk";
    public const string ScoresKey = "clara.scores";

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (question, candidates, generation) = Prepare(messages, options);
        var answer = await Task.Run(() => index.Model.Ask(question, candidates.Memory, generation, topK, cancellation: cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, index.Model.Decode(answer.AnswerIds) ?? string.Join(" ", answer.AnswerIds)))
        {
            ModelId = index.Model.Decoder.Source,
            FinishReason = answer.AnswerIds.Length < generation.MaxNewTokens ? ChatFinishReason.Stop : ChatFinishReason.Length,
            AdditionalProperties = Provenance(answer, candidates.Documents),
        };
        return response;
    }

    /// <remarks>
    /// The answer is generated on another thread and streamed token by token. Whatever way the enumeration ends
    /// (completion, cancellation, an exception, or the caller leaving the loop early), the generation is stopped and
    /// awaited before the enumerator finishes, so nothing keeps running against the model afterwards.
    /// </remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (question, candidates, generation) = Prepare(messages, options);
        var channel = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // Linked so that a caller who stops reading (without cancelling) also stops the generation.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = Task.Run(() =>
        {
            try
            {
                return index.Model.Ask(question, candidates.Memory, generation, topK, onToken: (_, token) => channel.Writer.TryWrite(token), cancellation: stop.Token);
            }
            finally
            {
                channel.Writer.Complete();
            }
        }, stop.Token);

        try
        {
            var text = new StreamedText(ids => index.Model.Decode(ids) ?? string.Join(" ", ids));
            await foreach (var token in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                if (text.Add(token) is { } delta)
                    yield return new ChatResponseUpdate(ChatRole.Assistant, delta);
            var answer = await work.ConfigureAwait(false);
            if (text.Flush() is { } rest)
                yield return new ChatResponseUpdate(ChatRole.Assistant, rest);
            yield return new ChatResponseUpdate
            {
                Role = ChatRole.Assistant,
                FinishReason = answer.AnswerIds.Length < generation.MaxNewTokens ? ChatFinishReason.Stop : ChatFinishReason.Length,
                AdditionalProperties = Provenance(answer, candidates.Documents),
            };
        }
        finally
        {
            await StopAsync(stop, work).ConfigureAwait(false);
        }
    }

    /// <summary>Cancels the generation if it still runs and waits for it; its outcome was already reported, or nobody listens any more.</summary>
    private static async Task StopAsync(CancellationTokenSource stop, Task work)
    {
        if (!work.IsCompleted) await stop.CancelAsync().ConfigureAwait(false);
        await work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(index) ? index
        : serviceType.IsInstanceOfType(index.Model) ? index.Model
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("clara.engine", defaultModelId: index.Model.Decoder.Source)
        : null;

    public void Dispose()
    {
        // The model and the store belong to the caller.
    }

    private (string Question, (IReadOnlyList<Documents.Document> Documents, CompressedDocuments Memory) Candidates, GenerationOptions Options) Prepare(
        IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var user = messages.LastOrDefault(m => m.Role == ChatRole.User)
            ?? throw new ArgumentException("the conversation has no user message to answer");
        if (string.IsNullOrWhiteSpace(user.Text)) throw new ArgumentException("the last user message has no text");
        IEnumerable<string>? ids = options?.AdditionalProperties?.TryGetValue(DocumentIdsKey, out var value) == true
            ? value as IEnumerable<string> ?? throw new ArgumentException($"{DocumentIdsKey} must be a list of document ids")
            : null;
        var generation = new GenerationOptions
        {
            MaxNewTokens = options?.MaxOutputTokens ?? 128,
            Temperature = options?.Temperature ?? 0f,
            TopP = options?.TopP ?? 1f,
            Seed = options?.Seed is long s ? unchecked((int)s) : null,
        };
        return (user.Text, index.Candidates(ids), generation);
    }

    private static AdditionalPropertiesDictionary Provenance(ClaraAnswer answer, IReadOnlyList<Documents.Document> documents) => new()
    {
        [TopKKey] = answer.TopK.Select(i => documents[i].Id).ToArray(),
        [ScoresKey] = documents.Select((d, i) => KeyValuePair.Create(d.Id, answer.Scores[i])).ToDictionary(),
    };
}
