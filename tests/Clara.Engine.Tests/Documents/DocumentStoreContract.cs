using Clara.Engine.Documents;
using NUnit.Framework;

namespace Clara.Engine.Tests.Documents;

/// <summary>What every <see cref="IDocumentStore"/> must do; each store has a fixture deriving from this one.</summary>
public abstract class DocumentStoreContract
{
    protected const string Model = "mistral-tiny+encoder_adapter@sha256:0123abcd";
    protected const string OtherModel = "mistral-tiny+encoder_adapter@sha256:ffff9999";

    protected IDocumentStore Store { get; private set; } = null!;

    /// <summary>A new, empty store serving <paramref name="fingerprint"/>.</summary>
    protected abstract IDocumentStore CreateStore(string fingerprint);

    [SetUp]
    public void CreateEmptyStore() => Store = CreateStore(Model);

    [TearDown]
    public void DisposeStore() => Store?.Dispose();

    /// <summary>Seeded values plus the floats a careless byte conversion breaks: signed zero, NaN payloads, infinities, subnormals.</summary>
    protected static float[] Values(int seed, int count)
    {
        var random = new Random(seed);
        var values = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        float[] awkward = [-0.0f, BitConverter.Int32BitsToSingle(0x7FC01234), float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue];
        awkward.AsSpan(0, Math.Min(awkward.Length, count)).CopyTo(values);
        return values;
    }

    protected static DocumentMemory Memory(int seed, string fingerprint = Model, int memoryTokens = 3, int hidden = 5) =>
        new(fingerprint, memoryTokens, hidden, Values(seed, memoryTokens * hidden));

    protected static void AssertSameBits(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                Assert.Fail($"value {i}: bits 0x{BitConverter.SingleToInt32Bits(actual[i]):X8}, expected 0x{BitConverter.SingleToInt32Bits(expected[i]):X8}");
    }

    protected static void AssertStored(StoredDocument? stored, Document document, DocumentMemory memory)
    {
        Assert.That(stored, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(stored!.Id, Is.EqualTo(document.Id));
            Assert.That(stored.Document.Text, Is.EqualTo(document.Text));
            Assert.That(stored.Document.TokenIds, Is.EqualTo(document.TokenIds));
            Assert.That(stored.Memory.Fingerprint, Is.EqualTo(memory.Fingerprint));
            Assert.That(stored.Memory.MemoryTokens, Is.EqualTo(memory.MemoryTokens));
            Assert.That(stored.Memory.Hidden, Is.EqualTo(memory.Hidden));
        });
        AssertSameBits(stored!.Memory.Values, memory.Values);
    }

    [Test]
    public void Stored_document_comes_back_with_bit_exact_memory()
    {
        var document = new Document("doc-1", "Paris is the capital of France.", [12, 7, 30001]);
        var memory = Memory(seed: 1);
        Store.Upsert(document, memory);
        Assert.That(Store.TryGet("doc-1", out var stored), Is.True);
        AssertStored(stored, document, memory);
    }

    [Test]
    public void Text_and_token_ids_are_each_optional()
    {
        var documents = new[] { new Document("ids-only", tokenIds: [1, 2, 3]), new Document("text-only", "words"), new Document("neither"),
            new Document("empty", "", []) };
        foreach (var (document, seed) in documents.Select((d, i) => (d, i))) Store.Upsert(document, Memory(seed));
        foreach (var (document, seed) in documents.Select((d, i) => (d, i)))
        {
            Assert.That(Store.TryGet(document.Id, out var stored), Is.True, document.Id);
            AssertStored(stored, document, Memory(seed));
        }
    }

    [Test]
    public void Upsert_replaces_and_add_refuses_an_existing_id()
    {
        Store.Add(new Document("d", "first"), Memory(1));
        var error = Assert.Throws<InvalidOperationException>(() => Store.Add(new Document("d", "second"), Memory(2)));
        Assert.That(error!.Message, Does.Contain("'d'"));
        Assert.That(Store.TryGet("d", out var unchanged), Is.True);
        AssertStored(unchanged, new Document("d", "first"), Memory(1));

        var replacement = new Document("d", "third", [9]);
        var bigger = Memory(3, memoryTokens: 4, hidden: 6);
        Store.Upsert(replacement, bigger);
        Assert.That(Store.TryGet("d", out var replaced), Is.True);
        AssertStored(replaced, replacement, bigger);
        Assert.That(Store.Count, Is.EqualTo(1));
    }

    [Test]
    public void Remove_count_and_enumerate_follow_the_contents()
    {
        Assert.That(Store.Count, Is.EqualTo(0));
        Assert.That(Store.Enumerate(), Is.Empty);
        for (int i = 0; i < 5; i++) Store.Add(new Document($"d{i}", $"text {i}"), Memory(i));
        Assert.That(Store.Remove("d2"), Is.True);
        Assert.That(Store.Remove("d2"), Is.False);
        Assert.That(Store.Remove("never"), Is.False);
        Assert.That(Store.TryGet("d2", out var gone), Is.False);
        Assert.That(gone, Is.Null);
        Assert.That(Store.Count, Is.EqualTo(4));
        var all = Store.Enumerate().ToList();
        Assert.That(all.Select(s => s.Id), Is.EquivalentTo(new[] { "d0", "d1", "d3", "d4" }));
        foreach (var stored in all)
        {
            int i = stored.Id[1] - '0';
            AssertStored(stored, new Document(stored.Id, $"text {i}"), Memory(i));
        }
    }

    [Test]
    public void Get_many_returns_the_stored_ones_by_id()
    {
        for (int i = 0; i < 4; i++) Store.Add(new Document($"d{i}", tokenIds: [i]), Memory(i));
        var found = Store.GetMany(["d3", "missing", "d1", "d3"]);
        Assert.That(found.Keys, Is.EquivalentTo(new[] { "d1", "d3" }));
        AssertStored(found["d3"], new Document("d3", tokenIds: [3]), Memory(3));
        AssertStored(found["d1"], new Document("d1", tokenIds: [1]), Memory(1));
        Assert.That(Store.GetMany([]), Is.Empty);
    }

    [Test]
    public void Memory_of_another_model_is_refused_and_nothing_is_written()
    {
        var error = Assert.Throws<MemoryFingerprintMismatchException>(() => Store.Upsert(new Document("d"), Memory(1, OtherModel)));
        Assert.That(error!.Message, Does.Contain(Model).And.Contain(OtherModel).And.Contain("'d'"));
        Assert.That(error.Expected, Is.EqualTo(Model));
        Assert.That(error.Actual, Is.EqualTo(OtherModel));
        Assert.Throws<MemoryFingerprintMismatchException>(() => Store.Add(new Document("d"), Memory(1, OtherModel)));
        Assert.That(Store.Count, Is.EqualTo(0));
        Assert.That(Store.Fingerprint, Is.EqualTo(Model));
    }

    [Test]
    public void Awkward_ids_and_texts_round_trip()
    {
        string[] ids = ["O'Brien\"; DROP TABLE clara_documents; --", "日本語 🙂", " spaced ", "back\\slash", "$1"];
        foreach (var (id, seed) in ids.Select((id, i) => (id, i))) Store.Upsert(new Document(id, id + " text'"), Memory(seed));
        Assert.That(Store.Count, Is.EqualTo(ids.Length));
        foreach (var (id, seed) in ids.Select((id, i) => (id, i)))
        {
            Assert.That(Store.TryGet(id, out var stored), Is.True, id);
            AssertStored(stored, new Document(id, id + " text'"), Memory(seed));
        }
    }

    [Test]
    public void Concurrent_writers_and_readers_see_every_document()
    {
        const int documents = 64;
        Parallel.For(0, documents, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            Store.Upsert(new Document($"p{i}", tokenIds: [i]), Memory(i));
            Assert.That(Store.TryGet($"p{i}", out _), Is.True);
        });
        Assert.That(Store.Count, Is.EqualTo(documents));
        var all = Store.GetMany(Enumerable.Range(0, documents).Select(i => $"p{i}"));
        Assert.That(all, Has.Count.EqualTo(documents));
        AssertStored(all["p17"], new Document("p17", tokenIds: [17]), Memory(17));
    }
}
