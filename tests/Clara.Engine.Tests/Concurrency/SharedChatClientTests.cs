using Clara.Engine.AI;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Clara.Engine.Tests.Concurrency;

/// <summary>
/// One <see cref="ClaraChatClient"/> (as a service registers it: a singleton) streamed from many callers at once, with
/// some callers cancelling or leaving early: every completed stream carries the text and sources of the same request
/// answered alone, and a cancelled stream has stopped its generation by the time the enumeration ends.
/// </summary>
[NonParallelizable]
public class SharedChatClientTests
{
    private const int Requests = 12;

    private SharedClara _clara = null!;
    private ClaraChatClient _chat = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _clara = new SharedClara();
        _chat = new ClaraChatClient(_clara.Index, topK: 2);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _chat.Dispose();
        _clara.Dispose();
    }

    private static ChatOptions Options(int request) => request % 2 == 0
        ? new ChatOptions { MaxOutputTokens = 8 }
        : new ChatOptions { MaxOutputTokens = 8, Temperature = 1.3f, TopP = 0.9f, Seed = 500 + request };

    private static ChatMessage[] Messages(int request) => [new(ChatRole.User, SharedClara.Question(request))];

    private async Task<(string Text, string Sources)> Respond(int request)
    {
        var response = await _chat.GetResponseAsync(Messages(request), Options(request));
        return (response.Text, Sources(response.AdditionalProperties));
    }

    private async Task<(string Text, string Sources)> Stream(int request, int? stopAfter = null, CancellationToken cancellation = default)
    {
        var text = new System.Text.StringBuilder();
        string sources = "";
        int updates = 0;
        await foreach (var update in _chat.GetStreamingResponseAsync(Messages(request), Options(request), cancellation))
        {
            text.Append(update.Text);
            if (update.AdditionalProperties is { } p) sources = Sources(p);
            if (++updates == stopAfter) break;
        }
        return (text.ToString(), sources);
    }

    private static string Sources(AdditionalPropertiesDictionary? properties) =>
        properties?.TryGetValue(ClaraChatClient.TopKKey, out var ids) == true ? string.Join(",", (string[])ids!) : "";

    [Test]
    public async Task ConcurrentStreamsMatchResponsesAnsweredAlone()
    {
        var expected = new (string, string)[Requests];
        for (int r = 0; r < Requests; r++) expected[r] = await Respond(r);
        Assert.That(expected.Select(e => e.Item1).Distinct().Count(), Is.GreaterThan(1), "the requests should not all have the same answer");
        var streamed = await Task.WhenAll(Enumerable.Range(0, Requests).Select(r => Task.Run(() => Stream(r))));
        var wrong = Enumerable.Range(0, Requests).Where(r => streamed[r] != expected[r]).ToList();
        Assert.That(wrong, Is.Empty, () => $"{wrong.Count} of {Requests} streams differ, first: request {wrong[0]} " +
            $"streamed '{streamed[wrong[0]].Text}' [{streamed[wrong[0]].Sources}], alone '{expected[wrong[0]].Item1}' [{expected[wrong[0]].Item2}]");
    }

    [Test]
    public async Task CancelledOrAbandonedStreamsLeaveTheOtherStreamsUnchanged()
    {
        var expected = new (string, string)[Requests];
        for (int r = 0; r < Requests; r++) expected[r] = await Respond(r);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Requests).Select(r => Task.Run(async () =>
        {
            switch (r % 4)
            {
                case 1:
                    // Cancelled by its token after its first update.
                    using (var cancel = new CancellationTokenSource())
                    {
                        try
                        {
                            await foreach (var _ in _chat.GetStreamingResponseAsync(Messages(r), Options(r), cancel.Token)) await cancel.CancelAsync();
                            return ("completed", "");
                        }
                        catch (OperationCanceledException)
                        {
                            return ("cancelled", "");
                        }
                    }
                case 3:
                    await Stream(r, stopAfter: 1); // leaves the loop early without cancelling
                    return ("abandoned", "");
                default:
                    return await Stream(r);
            }
        })));
        for (int r = 0; r < Requests; r++)
        {
            var wanted = (r % 4) switch { 1 => ("cancelled", ""), 3 => ("abandoned", ""), _ => expected[r] };
            Assert.That(outcomes[r], Is.EqualTo(wanted), $"request {r}");
        }
    }

    [Test]
    public async Task ACancelledStreamIsStoppedBeforeTheNextRequestOfTheSameCaller()
    {
        // One caller, no concurrency of its own: a generation left running after its stream ends would race the next one.
        var expected = await Respond(0);
        for (int i = 0; i < 10; i++)
        {
            using var cancel = new CancellationTokenSource();
            Assert.That(async () =>
            {
                await foreach (var _ in _chat.GetStreamingResponseAsync(Messages(1), new ChatOptions { MaxOutputTokens = 64 }, cancel.Token))
                    await cancel.CancelAsync();
            }, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(await Respond(0), Is.EqualTo(expected), $"round {i}: the request after a cancelled stream");
        }
    }

    [Test]
    public async Task StreamedTextIsTheDecodedAnswer()
    {
        for (int r = 0; r < 4; r++)
        {
            var (text, _) = await Stream(r);
            var response = await _chat.GetResponseAsync(Messages(r), Options(r));
            Assert.That(text, Is.EqualTo(response.Text), $"request {r}");
        }
    }
}
