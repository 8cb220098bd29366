using System.ClientModel;
using System.Diagnostics;
using System.Text.Json;
using Clara.Engine.Documents;
using Clara.Engine.Tests.IO;
using Clara.Engine.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using OpenAI;

namespace Clara.Engine.Tests.Cli;

/// <summary>
/// clara index builds a store once; clara ask and clara rerank over it answer exactly as they do over the documents
/// file; a killed index run resumes to the same store with nothing lost or duplicated; another model is refused; and
/// clara serve, started as a user starts it, answers an OpenAI client as clara ask does.
/// </summary>
public class IndexAndServeCommandTests
{
    private static readonly string Model = Fixtures.Clara("clara-text");
    private TempDirectory _dir = null!;

    [SetUp]
    public void Create() => _dir = new TempDirectory();

    [TearDown]
    public void Remove() => _dir.Dispose();

    /// <summary>Ids in sorted order, so the store's order (by id) is the file's order and indices compare too.</summary>
    private string Corpus(int count = 0)
    {
        var texts = count == 0
            ? Concurrency.SharedClara.Corpus
            : Enumerable.Range(0, count).Select(i => $"Document {i} tells of river {i % 11} and mountain {i % 7}.").ToArray();
        return _dir.WriteText("docs.jsonl", string.Join("\n", texts.Select((t, i) =>
            JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = $"doc{i:D4}", ["text"] = t }))));
    }

    private static (int Code, string Out, string Err) Clara(params string[] args) => ClaraCli.Run(args);

    private static void AssertSucceeded((int Code, string Out, string Err) run) => Assert.That(run.Code, Is.EqualTo(0), run.Err + run.Out);

    [Test]
    public void Ask_and_rerank_over_the_store_answer_as_over_the_documents_file()
    {
        var docs = Corpus();
        var store = _dir.File("store");
        var indexed = Clara("index", "--model", Model, "--docs", docs, "--store", store);
        AssertSucceeded(indexed);
        Assert.That(indexed.Out, Does.Contain("indexed 6 documents"));

        foreach (var question in Concurrency.SharedClara.Questions)
        {
            string[] ask = ["ask", "--model", Model, "--question", question, "--k", "2", "--max-new-tokens", "8", "--json"];
            var fromFile = Clara([.. ask, "--docs", docs]);
            var fromStore = Clara([.. ask, "--store", store]);
            AssertSucceeded(fromFile);
            AssertSucceeded(fromStore);
            Assert.That(fromStore.Out, Is.EqualTo(fromFile.Out), question);
        }
        string[] rerank = ["rerank", "--model", Model, "--question", "Where is the Nile?", "--k", "3"];
        AssertSucceeded(Clara([.. rerank, "--docs", docs, "--out", _dir.File("file.safetensors")]));
        AssertSucceeded(Clara([.. rerank, "--store", store, "--out", _dir.File("store.safetensors")]));
        Assert.That(File.ReadAllBytes(_dir.File("store.safetensors")), Is.EqualTo(File.ReadAllBytes(_dir.File("file.safetensors"))));
    }

    [Test]
    public void Indexing_again_compresses_only_what_is_new_or_changed()
    {
        var docs = Corpus();
        var store = _dir.File("store");
        AssertSucceeded(Clara("index", "--model", Model, "--docs", docs, "--store", store));
        var again = Clara("index", "--model", Model, "--docs", docs, "--store", store);
        AssertSucceeded(again);
        Assert.That(again.Out, Does.Contain("indexed 0 documents").And.Contain("6 already stored"));
        File.AppendAllText(docs, "\n" + """{"id": "doc9999", "text": "A new one."}""");
        var grown = Clara("index", "--model", Model, "--docs", docs, "--store", store);
        Assert.That(grown.Out, Does.Contain("indexed 1 documents").And.Contain("7 in the store"));
    }

    [Test]
    public void A_store_of_another_model_is_refused_with_a_clear_error()
    {
        var docs = Corpus();
        var store = _dir.File("store");
        AssertSucceeded(Clara("index", "--model", Model, "--docs", docs, "--store", store));
        var other = Clara("index", "--model", Fixtures.Clara("clara-distinct"), "--docs", docs, "--store", store);
        Assert.That(other.Code, Is.EqualTo(1));
        Assert.That(other.Err, Does.Contain("holds memories made by model").And.Contain(store));
        var ask = Clara("ask", "--model", Fixtures.Clara("clara-distinct"), "--store", store, "--question-ids", "1,2");
        Assert.That(ask.Code, Is.EqualTo(1));
        Assert.That(ask.Err, Does.Contain("holds memories made by model"));
    }

    /// <summary>The store URL of the test server (tools/test.sh starts it), with a table of this test's own.</summary>
    private static string PostgresStore(string table)
    {
        string connection = Environment.GetEnvironmentVariable("CLARA_TEST_POSTGRES") is { Length: > 0 } c
            ? c : throw new IgnoreException("CLARA_TEST_POSTGRES is not set (tools/test.sh starts a server)");
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connection);
        return $"postgres://{Uri.EscapeDataString(settings.Username ?? "postgres")}@{settings.Host}:{settings.Port}/{settings.Database}?table={table}";
    }

    [Test]
    public void Index_into_postgres_then_ask_over_it_answers_as_over_the_documents_file()
    {
        string table = "index_test_" + Guid.NewGuid().ToString("N")[..8];
        string store = PostgresStore(table);
        try
        {
            var docs = Corpus();
            var indexed = Clara("index", "--model", Model, "--docs", docs, "--store", store);
            AssertSucceeded(indexed);
            Assert.That(indexed.Out, Does.Contain("indexed 6 documents"));
            Assert.That(Clara("index", "--model", Model, "--docs", docs, "--store", store).Out, Does.Contain("indexed 0 documents"));
            string[] ask = ["ask", "--model", Model, "--question", Concurrency.SharedClara.Questions[0], "--k", "2", "--max-new-tokens", "8", "--json"];
            var fromFile = Clara([.. ask, "--docs", docs]);
            var fromStore = Clara([.. ask, "--store", store]);
            AssertSucceeded(fromStore);
            Assert.That(fromStore.Out, Is.EqualTo(fromFile.Out));
        }
        finally
        {
            using var dataSource = Npgsql.NpgsqlDataSource.Create(Environment.GetEnvironmentVariable("CLARA_TEST_POSTGRES")!);
            using var drop = dataSource.CreateCommand($"DROP TABLE IF EXISTS \"{PostgresDocumentStore.Schema}\".\"{table}\"");
            drop.ExecuteNonQuery();
        }
    }

    [Test]
    public void An_unreachable_postgres_store_is_bad_input_named_without_its_password()
    {
        // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
        var run = Clara("index", "--model", Model, "--docs", Corpus(), "--store", "postgres://clara:secret@127.0.0.1:1/none");
        Assert.That(run.Code, Is.EqualTo(1), run.Err);
        Assert.That(run.Err, Does.Contain("postgres://clara:***@127.0.0.1:1/none").And.Not.Contain("secret"));
        Assert.That(run.Err, Does.Not.Contain("   at "), "a message, not a stack trace");
    }

    [Test]
    public void Options_are_checked_strictly()
    {
        Assert.That(Clara("index", "--model", Model, "--docs", "x.jsonl", "--store", "s", "--bogus", "1").Code, Is.EqualTo(2));
        Assert.That(Clara("ask", "--model", Model, "--docs", "x.jsonl", "--store", "s", "--question", "q").Code, Is.EqualTo(2));
        Assert.That(Clara("serve", "--model", Model, "--store", "s", "--port", "70000").Code, Is.EqualTo(2));
        Assert.That(Clara("serve", "--model", Model, "--store", "s", "--unknown").Code, Is.EqualTo(2));
        Assert.That(Clara("ask", "--model", Model, "--store", _dir.File("none"), "--question", "q").Code, Is.EqualTo(1), "no store there");
    }

    [Test]
    public void A_killed_index_run_resumes_to_the_store_of_an_uninterrupted_one()
    {
        const int Documents = 1200;
        var docs = Corpus(Documents);
        AssertSucceeded(Clara("index", "--model", Model, "--docs", docs, "--store", _dir.File("straight"), "--commit-every", "8"));

        // The same run in a child process, killed (SIGKILL) once a few batches are committed.
        var killed = _dir.File("killed");
        var commit = Path.Combine(killed, FileDocumentStore.CommitFileName);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "clara.dll"), "index", "--model", Model, "--docs", docs, "--store", killed, "--commit-every", "8" })
            start.ArgumentList.Add(arg);
        using (var child = Process.Start(start)!)
        {
            child.OutputDataReceived += (_, _) => { };
            child.ErrorDataReceived += (_, _) => { };
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2) && CommittedRecords(commit) < 24)
                Thread.Sleep(2);
            if (child.HasExited) Assert.Inconclusive($"the child run ended (code {child.ExitCode}) before it could be killed");
            child.Kill();
            child.WaitForExit();
        }
        long before = CommittedRecords(commit);
        Assert.That(before, Is.InRange(24, Documents - 1), "the kill should land mid-run");

        var resumed = Clara("index", "--model", Model, "--docs", docs, "--store", killed, "--commit-every", "8");
        AssertSucceeded(resumed);
        Assert.That(resumed.Out, Does.Contain($"indexed {Documents - before} documents").And.Contain($"{before} already stored"));
        Assert.That(CommittedRecords(commit), Is.EqualTo(Documents), "every document is stored once, none twice");

        var fingerprint = FingerprintOf(_dir.File("straight"));
        using var expected = FileDocumentStore.Open(_dir.File("straight"), fingerprint, readOnly: true);
        using var actual = FileDocumentStore.Open(killed, fingerprint, readOnly: true);
        Assert.That(actual.Count, Is.EqualTo(Documents));
        var wanted = expected.Enumerate().ToDictionary(s => s.Id);
        foreach (var stored in actual.Enumerate())
        {
            var other = wanted[stored.Id];
            Assert.That(stored.Document.Text, Is.EqualTo(other.Document.Text), stored.Id);
            Assert.That(stored.Memory.Values.ToArray().Select(BitConverter.SingleToInt32Bits),
                Is.EqualTo(other.Memory.Values.ToArray().Select(BitConverter.SingleToInt32Bits)), stored.Id);
        }
    }

    private static long CommittedRecords(string commit)
    {
        try
        {
            return File.Exists(commit) ? StoreCommit.Read(commit).Records : 0;
        }
        catch (IOException)
        {
            return 0; // being replaced at this instant
        }
    }

    private static string FingerprintOf(string store)
    {
        using var model = Engine.Pipeline.ClaraModel.Load(Model);
        return model.Fingerprint;
    }

    [Test]
    public async Task Serve_answers_an_OpenAI_client_as_ask_answers_and_stops_on_sigterm()
    {
        var docs = Corpus();
        var store = _dir.File("store");
        AssertSucceeded(Clara("index", "--model", Model, "--docs", docs, "--store", store));
        const string Question = "What is the capital of France?";
        var ask = Clara("ask", "--model", Model, "--store", store, "--question", Question, "--k", "2", "--max-new-tokens", "8", "--json");
        AssertSucceeded(ask);
        var expected = JsonDocument.Parse(ask.Out).RootElement;

        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "clara.dll"), "serve", "--model", Model, "--store", store, "--port", "0", "--k", "2" })
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        try
        {
            var banner = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.That(banner, Does.Contain("listening on http://127.0.0.1:"), child.HasExited ? await child.StandardError.ReadToEndAsync() : banner);
            var address = new Uri(banner![(banner.IndexOf("http://", StringComparison.Ordinal))..].Trim());
            var chat = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(address, "v1") })
                .GetChatClient("clara-text").AsIChatClient();
            var response = await chat.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 8 });
            Assert.That(response.Text, Is.EqualTo(expected.GetProperty("answer").GetString()));

            using (var kill = Process.Start("kill", ["-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.That(child.WaitForExit(TimeSpan.FromMinutes(1)), Is.True, "serve did not stop on SIGTERM");
            Assert.That(child.ExitCode, Is.EqualTo(0));
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
    }
}
