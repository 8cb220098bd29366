using System.ClientModel;
using System.Text;
using System.Text.Json;
using Clara.Engine.Pipeline;
using Clara.Engine.Pipeline.Scheduling;
using Clara.Engine.Tests.Concurrency;
using Clara.Server;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Clara.Engine.Tests.Server;

/// <summary>
/// `clara serve` started in this process on a free loopback port over the shared tiny CLaRa model and its six-document
/// corpus, with the official OpenAI .NET client (through Microsoft.Extensions.AI) and a plain HttpClient pointed at it.
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    public const int TopK = 2;

    private RunningServer(SharedClara clara, CandidateCorpus corpus, ClaraServer server)
    {
        Clara = clara;
        Corpus = corpus;
        Server = server;
        // The client retries 429 and 5xx by itself; the tests want to see each answer once.
        var openAi = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.Address, "v1"),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromMinutes(2),
        });
        Chat = openAi.GetChatClient("clara").AsIChatClient();
        Embeddings = openAi.GetEmbeddingClient("clara").AsIEmbeddingGenerator();
        Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
    }

    public SharedClara Clara { get; }
    public CandidateCorpus Corpus { get; }
    public ClaraServer Server { get; }
    public IChatClient Chat { get; }
    public IEmbeddingGenerator<string, Embedding<float>> Embeddings { get; }
    public HttpClient Http { get; }

    public static async Task<RunningServer> StartAsync(SchedulerOptions? scheduling = null, Func<ClaraServerOptions, ClaraServerOptions>? limits = null)
    {
        var clara = new SharedClara(scheduling);
        try
        {
            var corpus = CandidateCorpus.Load(clara.Index);
            var options = new ClaraServerOptions { Port = 0, TopK = TopK };
            var server = await ClaraServer.StartAsync(clara.Model, corpus, limits?.Invoke(options) ?? options);
            return new RunningServer(clara, corpus, server);
        }
        catch
        {
            clara.Dispose();
            throw;
        }
    }

    /// <summary>Request r's options, as SharedClara varies them: greedy for even r, seeded nucleus sampling for odd r.</summary>
    public static ChatOptions Options(int request, int maxTokens = 8)
    {
        var generation = SharedClara.Options(request);
        return new ChatOptions { MaxOutputTokens = maxTokens, Temperature = generation.Temperature > 0 ? generation.Temperature : null, TopP = generation.TopP < 1 ? generation.TopP : null, Seed = generation.Seed };
    }

    public static GenerationOptions Generation(int request, int maxTokens = 8) => SharedClara.Options(request) with { MaxNewTokens = maxTokens };

    public static ChatMessage[] Messages(int request) => [new(ChatRole.User, SharedClara.Question(request))];

    /// <summary>The answer ClaraModel gives request r in this process, with no server in between.</summary>
    public ClaraAnswer Expected(int request, int maxTokens = 8) =>
        Clara.Model.Ask(SharedClara.Question(request), Corpus.Memory, Generation(request, maxTokens), TopK);

    public string Text(ClaraAnswer answer) => Clara.Model.Decode(answer.AnswerIds)!;

    public string[] ChosenIds(ClaraAnswer answer) => answer.TopK.Select(i => Corpus.Documents[i].Id).ToArray();

    /// <summary>A POST of raw JSON; the status and the parsed body (null when the body is not JSON).</summary>
    public async Task<(int Status, JsonElement? Body, HttpResponseMessage Response)> PostAsync(string path, string json)
    {
        var response = await Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        JsonElement? body = null;
        try { body = JsonDocument.Parse(text).RootElement.Clone(); } catch (JsonException) { }
        return ((int)response.StatusCode, body, response);
    }

    /// <summary>Waits (bounded) until the model's scheduler holds no request: a cancelled one has been dropped.</summary>
    public async Task WaitUntilIdleAsync()
    {
        for (int i = 0; i < 500 && Clara.Model.Scheduler.Pending > 0; i++) await Task.Delay(20);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Clara.Dispose();
    }
}
