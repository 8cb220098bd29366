using System.Text.Json;
using Clara.Engine.AI;
using Clara.Engine.Backends;
using Clara.Engine.Documents;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Clara.Engine.Tests.Pipeline;

/// <summary>
/// The whole pipeline from English text against the PyTorch oracle (tests/oracle/clara_text_fixtures.py): the
/// clara-text directory carries the SentencePiece fixture's tokenizer, and the oracle tokenized the documents, the
/// question and the reference's chat-template prompt with Google's sentencepiece. Covers the tokenizer the model
/// picks up, the stages on the resulting ids, the answer to a text question, and the Microsoft.Extensions.AI
/// chat client over an indexed document store.
/// </summary>
[TestFixture]
public sealed class ClaraTextOracleTests
{
    private const string Config = "clara-text";
    private const double Tolerance = ClaraOracleSuite.Tolerance;
    private const int AnswerTokenLimit = 12;

    private IBackend _backend = null!;
    private ClaraModel _model = null!;
    private SafetensorsFile _reference = null!;
    private string[] _documents = null!;
    private string _question = null!;

    [OneTimeSetUp]
    public void LoadModelAndReference()
    {
        _backend = new Clara.Engine.Backends.Cpu.CpuBackend();
        _model = ClaraModel.Load(Fixtures.Clara(Config), _backend);
        _reference = SafetensorsFile.Open(Fixtures.Reference(Config));
        _documents = JsonSerializer.Deserialize<string[]>(_reference.Metadata["docs"])
            ?? throw new InvalidDataException($"{_reference.Path}: metadata 'docs' is not a JSON list of strings");
        _question = _reference.Metadata["question"];
    }

    [OneTimeTearDown]
    public void DisposeModelAndReference()
    {
        _reference?.Dispose();
        _model?.Dispose();
        _backend?.Dispose();
    }

    private List<IReadOnlyList<int>> OracleDocumentIds() => ClaraOracleSuite.Documents(_reference);

    private int[] OracleAnswerIds() => _reference.ReadAsInt32("answer.ids");

    private string[] OracleTopKDocumentIds() => _reference.ReadAsInt64("topk").Select(i => $"doc-{i}").ToArray();

    private InMemoryDocumentStore IndexedStore()
    {
        var store = new InMemoryDocumentStore(_model.Fingerprint);
        new DocumentIndexer(_model, store).Index(_documents.Select((text, i) => new Document($"doc-{i}", text)).ToList());
        return store;
    }

    [Test]
    public void ModelDirectoryTokenizerGivesTheOracleIds()
    {
        Assert.That(_model.Tokenizer, Is.Not.Null, "clara-text has tokenizer.model; the model should have loaded it");
        var expected = OracleDocumentIds();
        Assert.That(_documents, Has.Length.EqualTo(expected.Count));
        for (int i = 0; i < _documents.Length; i++)
            Assert.That(_model.Encode(_documents[i]), Is.EqualTo(expected[i]), $"document {i}: {_documents[i]}");
        Assert.That(_model.Encode(_question), Is.EqualTo(_reference.ReadAsInt32("question.ids")), _question);
    }

    [Test]
    public void TextQuestionPromptIsTheReferences()
    {
        // The reference renders the whole chat turn as a string and tokenizes it, so the question shares its text
        // stretch with "Question:" and " [/INST]".
        var builder = new ClaraPromptBuilder(new MistralChatTemplate(_model.Tokenizer!), _model.Config.MemTokenIds, _model.Config.SepTokenId);
        Assert.That(builder.Build(_question, _model.Config.TopK).Ids, Is.EqualTo(_reference.ReadAsInt32("prompt.ids")));
    }

    [Test]
    public void StagesOnTokenizedTextMatchOracle()
    {
        var compressed = _model.Compress(_documents.Select(d => (IReadOnlyList<int>)_model.Encode(d)).ToList());
        Compare.AssertClose(compressed.Memory, _reference.ReadAsFloat32("memory"), Tolerance, "memory");
        Compare.AssertClose(compressed.Mse, _reference.ReadAsFloat32("mse"), Tolerance, "mse");
        Compare.AssertElementwiseClose(compressed.Mse, _reference.ReadAsFloat32("mse"), ClaraOracleSuite.Tolerance, ClaraOracleSuite.ElementwiseOfMax, "mse");
        var query = _model.EncodeQuery(_model.Encode(_question));
        Compare.AssertClose(query, _reference.ReadAsFloat32("query"), Tolerance, "query");
        var scores = _model.Score(query, compressed);
        Compare.AssertClose(scores, _reference.ReadAsFloat32("scores"), Tolerance, "scores");
        Compare.AssertElementwiseClose(scores, _reference.ReadAsFloat32("scores"), ClaraOracleSuite.Tolerance, ClaraOracleSuite.ElementwiseOfMax, "scores");
        Assert.That(_model.SelectTopK(scores).Select(i => (long)i), Is.EqualTo(_reference.ReadAsInt64("topk")));
    }

    [Test]
    public async Task QueryEmbeddingGeneratorGivesTheOracleQueryVector()
    {
        using var generator = new ClaraQueryEmbeddingGenerator(_model);
        var embeddings = await generator.GenerateAsync([_question]);
        Compare.AssertClose(embeddings.Single().Vector.Span, _reference.ReadAsFloat32("query"), Tolerance, "query embedding");
    }

    [Test]
    public void TextQuestionGetsTheOracleAnswer()
    {
        var documents = _model.Compress(OracleDocumentIds());
        var answer = _model.Ask(_question, documents, new GenerationOptions { MaxNewTokens = AnswerTokenLimit });
        Assert.That(answer.TopK.Select(i => (long)i), Is.EqualTo(_reference.ReadAsInt64("topk")));
        Assert.That(answer.AnswerIds, Is.EqualTo(OracleAnswerIds()));
        // sentencepiece's own decoding of the answer, so Decode is checked against an independent implementation too.
        Assert.That(_model.Decode(answer.AnswerIds), Is.EqualTo(_reference.Metadata["answer"]));
    }

    [Test]
    public async Task ChatClientAnswersFromTheIndexedDocuments()
    {
        using var store = IndexedStore();
        var client = new ClaraChatClient(new DocumentIndexer(_model, store));
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, _question)], new ChatOptions { MaxOutputTokens = AnswerTokenLimit });
        Assert.That(response.Text, Is.EqualTo(_model.Decode(OracleAnswerIds())));
        Assert.That(response.Text, Is.EqualTo(_reference.Metadata["answer"]));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
        Assert.That(response.AdditionalProperties?[ClaraChatClient.TopKKey], Is.EqualTo(OracleTopKDocumentIds()));
    }

    [Test]
    public async Task StreamingChatClientStreamsTheSameAnswer()
    {
        using var store = IndexedStore();
        var client = new ClaraChatClient(new DocumentIndexer(_model, store));
        var text = new System.Text.StringBuilder();
        object? topk = null;
        int textUpdates = 0;
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, _question)], new ChatOptions { MaxOutputTokens = AnswerTokenLimit }))
        {
            if (update.Text.Length > 0) textUpdates++;
            text.Append(update.Text);
            if (update.AdditionalProperties?.TryGetValue(ClaraChatClient.TopKKey, out var value) == true) topk = value;
        }
        Assert.That(text.ToString(), Is.EqualTo(_reference.Metadata["answer"]));
        Assert.That(textUpdates, Is.GreaterThan(1), "the answer should arrive in pieces, not at the end");
        Assert.That(topk, Is.EqualTo(OracleTopKDocumentIds()));
    }
}
