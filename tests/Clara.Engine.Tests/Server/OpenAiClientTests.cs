using System.Text;
using Clara.Engine.AI;
using Clara.Engine.Tests.Concurrency;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Clara.Engine.Tests.Server;

/// <summary>
/// The official OpenAI .NET client (via Microsoft.Extensions.AI.OpenAI), not our own code, against `clara serve` on a
/// loopback port: whole and streamed answers are the answers ClaraModel gives in process (greedy and seeded sampling),
/// a cancelled stream stops its generation and leaves the next answers unchanged, 64 concurrent streams lose nothing,
/// and embeddings are the query vectors bit for bit.
/// </summary>
[NonParallelizable]
public class OpenAiClientTests
{
    private RunningServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunningServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public async Task Answers_are_the_answers_of_the_model_in_process()
    {
        var texts = new List<string>();
        for (int r = 0; r < 6; r++)
        {
            var expected = _server.Expected(r);
            var response = await _server.Chat.GetResponseAsync(RunningServer.Messages(r), RunningServer.Options(r));
            Assert.Multiple(() =>
            {
                Assert.That(response.Text, Is.EqualTo(_server.Text(expected)), $"request {r}");
                Assert.That(response.FinishReason, Is.EqualTo(expected.AnswerIds.Length < 8 ? ChatFinishReason.Stop : ChatFinishReason.Length), $"request {r}");
                Assert.That(response.Usage?.OutputTokenCount, Is.EqualTo(expected.AnswerIds.Length), $"request {r}");
            });
            texts.Add(response.Text);
        }
        Assert.That(texts.Distinct().Count(), Is.GreaterThan(1), "the requests should not all have the same answer");
    }

    [Test]
    public async Task Streamed_answers_are_the_answers_of_the_model_in_process()
    {
        for (int r = 0; r < 6; r++)
        {
            var text = new StringBuilder();
            int updates = 0;
            ChatFinishReason? finish = null;
            await foreach (var update in _server.Chat.GetStreamingResponseAsync(RunningServer.Messages(r), RunningServer.Options(r)))
            {
                text.Append(update.Text);
                finish ??= update.FinishReason;
                updates++;
            }
            var expected = _server.Expected(r);
            Assert.That(text.ToString(), Is.EqualTo(_server.Text(expected)), $"request {r}");
            Assert.That(finish, Is.Not.Null, $"request {r}: no finish reason");
            Assert.That(updates, Is.GreaterThan(1), $"request {r} came in one piece, not streamed");
        }
    }

    [Test]
    public async Task A_cancelled_stream_stops_its_generation_and_changes_no_later_answer()
    {
        var expected = _server.Text(_server.Expected(0));
        for (int round = 0; round < 5; round++)
        {
            using var cancel = new CancellationTokenSource();
            int received = 0;
            Assert.That(async () =>
            {
                await foreach (var _ in _server.Chat.GetStreamingResponseAsync(RunningServer.Messages(1), RunningServer.Options(1, maxTokens: 64), cancel.Token))
                {
                    received++;
                    await cancel.CancelAsync();
                }
            }, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(received, Is.EqualTo(1));
            await _server.WaitUntilIdleAsync();
            Assert.That(_server.Clara.Model.Scheduler.Pending, Is.Zero, $"round {round}: the cancelled generation is still in the scheduler");
            var next = await _server.Chat.GetResponseAsync(RunningServer.Messages(0), RunningServer.Options(0));
            Assert.That(next.Text, Is.EqualTo(expected), $"round {round}: the answer after a cancelled stream");
        }
    }

    [Test]
    public async Task Sixty_four_concurrent_streams_lose_nothing_and_match_the_sequential_answers()
    {
        const int Streams = 64;
        var expected = Enumerable.Range(0, Streams).Select(r => _server.Text(_server.Expected(r))).ToArray();
        var streamed = await Task.WhenAll(Enumerable.Range(0, Streams).Select(r => Task.Run(async () =>
        {
            var text = new StringBuilder();
            bool finished = false;
            await foreach (var update in _server.Chat.GetStreamingResponseAsync(RunningServer.Messages(r), RunningServer.Options(r)))
            {
                text.Append(update.Text);
                finished |= update.FinishReason is not null;
            }
            return (Text: text.ToString(), Finished: finished);
        }))).WaitAsync(TimeSpan.FromMinutes(5));
        var wrong = Enumerable.Range(0, Streams).Where(r => streamed[r] != (expected[r], true)).ToList();
        Assert.That(wrong, Is.Empty, () => $"{wrong.Count} of {Streams} streams differ or did not finish; first: request {wrong[0]} " +
            $"streamed '{streamed[wrong[0]].Text}' (finished: {streamed[wrong[0]].Finished}), expected '{expected[wrong[0]]}'");
        await _server.WaitUntilIdleAsync();
        Assert.That(_server.Clara.Model.Scheduler.Pending, Is.Zero);
    }

    [Test]
    public async Task Embeddings_are_the_query_vectors_bit_for_bit()
    {
        var questions = SharedClara.Questions;
        var embeddings = await _server.Embeddings.GenerateAsync(questions);
        Assert.That(embeddings, Has.Count.EqualTo(questions.Length));
        for (int i = 0; i < questions.Length; i++)
        {
            var expected = _server.Clara.Model.EncodeQuery(_server.Clara.Model.Encode(questions[i]));
            Assert.That(Bits.Same(embeddings[i].Vector.ToArray(), expected), Is.True, $"question {i}");
        }
        var local = await new ClaraQueryEmbeddingGenerator(_server.Clara.Model).GenerateAsync(questions);
        Assert.That(Bits.Same(local[0].Vector.ToArray(), embeddings[0].Vector.ToArray()), Is.True, "the server and the in-process generator differ");
    }
}
