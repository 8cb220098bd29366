using System.Text.Json;
using Clara.Engine.Pipeline.Scheduling;
using Clara.Engine.Tests.Concurrency;
using NUnit.Framework;

namespace Clara.Engine.Tests.Server;

/// <summary>
/// What a curl user sees from `clara serve`: the OpenAI JSON shapes with CLaRa's extra "clara.documents", the event
/// stream's framing, and every limit answered with its status code and an OpenAI error object.
/// </summary>
[NonParallelizable]
public class ServerProtocolTests
{
    private RunningServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunningServer.StartAsync(limits: o => o with { MaxRequestBodyBytes = 16 * 1024, MaxTokens = 32, MaxEmbeddingInputs = 4 });

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private static string Ask(int request, string extra = "") =>
        $$"""{"model": "clara", "messages": [{"role": "user", "content": {{JsonSerializer.Serialize(SharedClara.Question(request))}}}], "max_tokens": 8{{extra}}}""";

    private static void AssertError(int status, JsonElement? body, int expectedStatus, string? param = null)
    {
        Assert.That(status, Is.EqualTo(expectedStatus), body?.ToString());
        Assert.That(body, Is.Not.Null, "the error has no JSON body");
        var error = body!.Value.GetProperty("error");
        Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
        Assert.That(error.GetProperty("type").GetString(), Is.Not.Empty);
        if (param is not null) Assert.That(error.GetProperty("param").GetString(), Is.EqualTo(param));
    }

    [Test]
    public async Task A_completion_names_the_chosen_documents_and_their_scores()
    {
        var expected = _server.Expected(0);
        var (status, body, _) = await _server.PostAsync("v1/chat/completions", Ask(0));
        Assert.That(status, Is.EqualTo(200), body?.ToString());
        var root = body!.Value;
        Assert.That(root.GetProperty("object").GetString(), Is.EqualTo("chat.completion"));
        var choice = root.GetProperty("choices")[0];
        Assert.That(choice.GetProperty("message").GetProperty("content").GetString(), Is.EqualTo(_server.Text(expected)));
        var documents = root.GetProperty("clara").GetProperty("documents").EnumerateArray().ToList();
        Assert.That(documents.Select(d => d.GetProperty("id").GetString()), Is.EqualTo(_server.ChosenIds(expected)));
        for (int i = 0; i < documents.Count; i++)
            Assert.That(BitConverter.SingleToInt32Bits(documents[i].GetProperty("score").GetSingle()),
                Is.EqualTo(BitConverter.SingleToInt32Bits(expected.Scores[expected.TopK[i]])), $"score of document {i}");
        Assert.That(root.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(expected.AnswerIds.Length));
    }

    [Test]
    public async Task Document_ids_narrow_the_candidates()
    {
        var (status, body, _) = await _server.PostAsync("v1/chat/completions", Ask(0, """, "document_ids": ["doc5", "doc3"]"""));
        Assert.That(status, Is.EqualTo(200), body?.ToString());
        var ids = body!.Value.GetProperty("clara").GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()).ToList();
        Assert.That(ids, Is.EquivalentTo(new[] { "doc5", "doc3" }));
        var (missing, error, _) = await _server.PostAsync("v1/chat/completions", Ask(0, """, "document_ids": ["nope"]"""));
        AssertError(missing, error, 400, "document_ids");
    }

    [Test]
    public async Task A_stream_is_server_sent_events_ending_in_done_with_the_documents_and_usage()
    {
        var response = await _server.Http.PostAsync("v1/chat/completions",
            new StringContent(Ask(2, """, "stream": true, "stream_options": {"include_usage": true}"""), System.Text.Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(events, Has.All.StartWith("data: "));
        Assert.That(events[^1], Is.EqualTo("data: [DONE]"));
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        var expected = _server.Expected(2);
        var text = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta")).Select(d => d.TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.That(text, Is.EqualTo(_server.Text(expected)));
        Assert.That(chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString(), Is.EqualTo("assistant"));
        var last = chunks.Last(c => c.GetProperty("choices").GetArrayLength() > 0);
        Assert.That(last.GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.AnyOf("stop", "length"));
        Assert.That(last.GetProperty("clara").GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()),
            Is.EqualTo(_server.ChosenIds(expected)));
        Assert.That(chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.EqualTo(expected.AnswerIds.Length));
    }

    [Test]
    public async Task Embeddings_come_as_floats_or_base64_of_the_same_bits()
    {
        var question = JsonSerializer.Serialize(SharedClara.Question(0));
        var (status, floats, _) = await _server.PostAsync("v1/embeddings", $$"""{"model": "clara", "input": {{question}}}""");
        Assert.That(status, Is.EqualTo(200), floats?.ToString());
        var (_, base64, _) = await _server.PostAsync("v1/embeddings", $$"""{"model": "clara", "input": [{{question}}], "encoding_format": "base64"}""");
        var expected = _server.Clara.Model.EncodeQuery(_server.Clara.Model.Encode(SharedClara.Question(0)));
        var fromFloats = floats!.Value.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var bytes = base64!.Value.GetProperty("data")[0].GetProperty("embedding").GetBytesFromBase64();
        var fromBase64 = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, 4 * i)).ToArray();
        Assert.That(Bits.Same(fromFloats, expected), Is.True);
        Assert.That(Bits.Same(fromBase64, expected), Is.True);
    }

    [Test]
    public async Task Bad_requests_are_400_with_the_field_named()
    {
        var cases = new (string Path, string Json, string? Param)[]
        {
            ("v1/chat/completions", "{not json", null),
            ("v1/chat/completions", "[]", null),
            ("v1/chat/completions", """{"model": "clara"}""", "messages"),
            ("v1/chat/completions", """{"messages": [{"role": "system", "content": "hi"}]}""", "messages"),
            ("v1/chat/completions", """{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}""", "messages"),
            ("v1/chat/completions", Ask(0, """, "max_completion_tokens": 1000"""), "max_tokens"),
            ("v1/chat/completions", Ask(0).Replace("\"max_tokens\": 8", "\"max_tokens\": 0"), "max_tokens"),
            ("v1/chat/completions", Ask(0, """, "temperature": 5"""), "temperature"),
            ("v1/chat/completions", Ask(0, """, "temperature": 0.0001"""), null),
            ("v1/chat/completions", Ask(0, """, "top_p": 0"""), "top_p"),
            ("v1/chat/completions", Ask(0, """, "n": 2"""), "n"),
            ("v1/chat/completions", Ask(0, """, "stream": "yes" """), "stream"),
            ("v1/embeddings", """{"input": []}""", "input"),
            ("v1/embeddings", """{"input": ["a", "b", "c", "d", "e"]}""", "input"),
            ("v1/embeddings", """{"input": [[1, 2, 99999]]}""", "input"),
            ("v1/embeddings", """{"input": "a", "encoding_format": "int8"}""", "encoding_format"),
        };
        foreach (var (path, json, param) in cases)
        {
            var (status, body, _) = await _server.PostAsync(path, json);
            AssertError(status, body, 400, param);
        }
    }

    [Test]
    public async Task A_body_over_the_limit_is_413()
    {
        var question = new string('x', 20 * 1024);
        var (status, body, _) = await _server.PostAsync("v1/chat/completions", $$"""{"messages": [{"role": "user", "content": "{{question}}"}]}""");
        AssertError(status, body, 413);
    }

    [Test]
    public async Task Unknown_paths_are_404_and_wrong_methods_405()
    {
        var notFound = await _server.Http.GetAsync("v1/completions");
        Assert.That((int)notFound.StatusCode, Is.EqualTo(404));
        Assert.That(JsonDocument.Parse(await notFound.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("not_found"));
        var wrongMethod = await _server.Http.GetAsync("v1/chat/completions");
        Assert.That((int)wrongMethod.StatusCode, Is.EqualTo(405));
    }

    [Test]
    public async Task Health_and_models_describe_the_server()
    {
        var health = JsonDocument.Parse(await _server.Http.GetStringAsync("health")).RootElement;
        Assert.That(health.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(health.GetProperty("documents").GetInt32(), Is.EqualTo(SharedClara.Corpus.Length));
        Assert.That(health.GetProperty("fingerprint").GetString(), Is.EqualTo(_server.Clara.Model.Fingerprint));
        var models = JsonDocument.Parse(await _server.Http.GetStringAsync("v1/models")).RootElement;
        Assert.That(models.GetProperty("data")[0].GetProperty("id").GetString(), Is.EqualTo("clara"));
    }
}

/// <summary>Overload and deadlines, with the scheduler's worker held by a <see cref="WorkerGate"/> so nothing depends on timing.</summary>
[NonParallelizable]
public class ServerLimitTests
{
    private static string Ask(bool stream) =>
        $$"""{"messages": [{"role": "user", "content": "Where is the Nile?"}], "max_tokens": 8, "stream": {{(stream ? "true" : "false")}}}""";

    [Test]
    public async Task A_full_queue_is_answered_429_with_retry_after_for_whole_and_streamed_requests()
    {
        await using var server = await RunningServer.StartAsync(new SchedulerOptions { QueueCapacity = 1, WhenFull = QueueFullMode.Reject });
        using (var gate = new WorkerGate(server.Clara))
        {
            foreach (bool stream in new[] { false, true })
            {
                var (status, body, response) = await server.PostAsync("v1/chat/completions", Ask(stream));
                Assert.That(status, Is.EqualTo(429), body?.ToString());
                Assert.That(body!.Value.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("queue_full"));
                Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
            }
            gate.Release();
            await gate.Answer;
        }
        await server.WaitUntilIdleAsync();
        var (ok, _, _) = await server.PostAsync("v1/chat/completions", Ask(stream: false));
        Assert.That(ok, Is.EqualTo(200), "once the queue has room the same request is answered");
    }

    [Test]
    public async Task A_request_past_its_deadline_is_answered_504_and_leaves_the_queue()
    {
        await using var server = await RunningServer.StartAsync(limits: o => o with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        using (var gate = new WorkerGate(server.Clara))
        {
            var (status, body, _) = await server.PostAsync("v1/chat/completions", Ask(stream: false));
            Assert.That(status, Is.EqualTo(504), body?.ToString());
            Assert.That(body!.Value.GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("request_timeout"));
            gate.Release();
            await gate.Answer;
        }
        await server.WaitUntilIdleAsync();
        Assert.That(server.Clara.Model.Scheduler.Pending, Is.Zero);
    }
}
