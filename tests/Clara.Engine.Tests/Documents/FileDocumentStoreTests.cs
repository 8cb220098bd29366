using Clara.Engine.Documents;
using Clara.Engine.Tests.IO;
using NUnit.Framework;

namespace Clara.Engine.Tests.Documents;

/// <summary>
/// The store contract on the file-backed store, and what its files promise: contents survive reopening (read-only,
/// memory-mapped), a write interrupted before its commit leaves exactly the committed contents, damage is detected
/// by the checksums, another model's fingerprint and a second writer are refused.
/// </summary>
[TestFixture]
public sealed class FileDocumentStoreTests : DocumentStoreContract
{
    private TempDirectory _dir = null!;

    private string StorePath => _dir.File("store");

    protected override IDocumentStore CreateStore(string fingerprint)
    {
        _dir ??= new TempDirectory();
        return FileDocumentStore.Open(StorePath, fingerprint);
    }

    [TearDown]
    public void RemoveDirectory()
    {
        Store?.Dispose();
        _dir?.Dispose();
        _dir = null!;
    }

    private void Fill(int count, int first = 0) =>
        Store.UpsertMany(Enumerable.Range(first, count).Select(i => new StoredDocument(new Document($"d{i}", $"text {i}"), Memory(i))).ToList());

    private static void AssertHolds(IDocumentStore store, int count)
    {
        Assert.That(store.Count, Is.EqualTo(count));
        for (int i = 0; i < count; i++)
        {
            Assert.That(store.TryGet($"d{i}", out var stored), Is.True, $"d{i}");
            AssertStored(stored, new Document($"d{i}", $"text {i}"), Memory(i));
        }
    }

    [Test]
    public void Contents_survive_reopening_read_only()
    {
        Fill(5);
        Store.Remove("d4");
        Store.Upsert(new Document("d4", "text 4"), Memory(4));
        Store.Dispose();
        using var reader = FileDocumentStore.Open(StorePath, Model, readOnly: true);
        AssertHolds(reader, 5);
        Assert.That(reader.CanWrite, Is.False);
        Assert.Throws<InvalidOperationException>(() => reader.Upsert(new Document("x"), Memory(9)));
    }

    [Test]
    public void A_write_killed_before_its_commit_leaves_exactly_the_committed_documents()
    {
        Fill(3);
        Store.Dispose();
        // What a kill leaves: records appended past the commit (a whole one and a torn one), and a half-written commit.
        var record = StoreRecords.PutRecord(new Document("d3", "text 3"), Memory(3));
        using (var data = new FileStream(Path.Combine(StorePath, FileDocumentStore.DataFileName), FileMode.Append))
        {
            data.Write(record);
            data.Write(record.AsSpan(0, record.Length / 2));
        }
        File.WriteAllBytes(Path.Combine(StorePath, FileDocumentStore.CommitFileName + ".tmp"), [1, 2, 3]);

        using (var reader = FileDocumentStore.Open(StorePath, Model, readOnly: true)) AssertHolds(reader, 3);
        using (var writer = FileDocumentStore.Open(StorePath, Model))
        {
            AssertHolds(writer, 3);
            writer.UpsertMany(Enumerable.Range(3, 2).Select(i => new StoredDocument(new Document($"d{i}", $"text {i}"), Memory(i))).ToList());
        }
        using var reopened = FileDocumentStore.Open(StorePath, Model, readOnly: true);
        AssertHolds(reopened, 5);
        Assert.That(StoreCommit.Read(Path.Combine(StorePath, FileDocumentStore.CommitFileName)).Records, Is.EqualTo(5), "a record was stored twice");
    }

    [Test]
    public void A_changed_committed_byte_is_detected()
    {
        Fill(2);
        Store.Dispose();
        var path = Path.Combine(StorePath, FileDocumentStore.DataFileName);
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => FileDocumentStore.Open(StorePath, Model, readOnly: true));
        Assert.That(error!.Message, Does.Contain("checksum"));
    }

    [Test]
    public void A_damaged_commit_record_is_detected()
    {
        Fill(1);
        Store.Dispose();
        var path = Path.Combine(StorePath, FileDocumentStore.CommitFileName);
        var bytes = File.ReadAllBytes(path);
        bytes[10] ^= 1;
        File.WriteAllBytes(path, bytes);
        Assert.That(() => FileDocumentStore.Open(StorePath, Model), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("commit record"));
    }

    [Test]
    public void Opening_a_store_of_another_model_is_refused_naming_both()
    {
        Fill(1);
        Store.Dispose();
        var error = Assert.Throws<MemoryFingerprintMismatchException>(() => FileDocumentStore.Open(StorePath, OtherModel));
        Assert.That(error!.Message, Does.Contain(Model).And.Contain(OtherModel).And.Contain(StorePath));
        Assert.Throws<MemoryFingerprintMismatchException>(() => FileDocumentStore.Open(StorePath, OtherModel, readOnly: true));
    }

    [Test]
    public void A_second_writer_is_refused_and_a_reader_is_not()
    {
        Fill(2);
        var error = Assert.Throws<IOException>(() => FileDocumentStore.Open(StorePath, Model));
        Assert.That(error!.Message, Does.Contain("another process is writing"));
        using var reader = FileDocumentStore.Open(StorePath, Model, readOnly: true);
        AssertHolds(reader, 2);
    }

    [Test]
    public void A_missing_store_is_not_created_by_a_reader()
    {
        var missing = _dir.File("nothing");
        Assert.Throws<FileNotFoundException>(() => FileDocumentStore.Open(missing, Model, readOnly: true));
        Assert.That(Directory.Exists(missing), Is.False);
    }

    [Test]
    public void Enumeration_follows_the_order_of_the_last_writes()
    {
        Fill(3);
        Store.Upsert(new Document("d0", "text 0"), Memory(0));
        Assert.That(Store.Enumerate().Select(s => s.Id), Is.EqualTo(new[] { "d1", "d2", "d0" }));
    }
}
