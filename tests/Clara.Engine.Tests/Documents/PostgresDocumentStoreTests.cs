using System.Buffers.Binary;
using Clara.Engine.Documents;
using Npgsql;
using NUnit.Framework;

namespace Clara.Engine.Tests.Documents;

/// <summary>
/// The store contract on a real PostgreSQL server, named by the environment variable CLARA_TEST_POSTGRES
/// (tools/start-test-postgres.sh starts one and prints it). Each test gets its own table, dropped afterwards.
/// </summary>
[TestFixture]
public sealed class PostgresDocumentStoreTests : DocumentStoreContract
{
    private const string ConnectionVariable = "CLARA_TEST_POSTGRES";
    private string _connectionString = null!;
    private string _table = null!;

    /// <summary>Called from the contract's SetUp, so a missing server marks each test ignored, with the reason.</summary>
    protected override IDocumentStore CreateStore(string fingerprint)
    {
        _connectionString = Environment.GetEnvironmentVariable(ConnectionVariable) ?? "";
        if (_connectionString.Length == 0)
            Assert.Ignore($"{ConnectionVariable} is not set: start a server with tools/start-test-postgres.sh and export its connection string");
        _table ??= "clara_test_" + Guid.NewGuid().ToString("N");
        return PostgresDocumentStore.Open(_connectionString, fingerprint, _table);
    }

    [TearDown]
    public void DropTable()
    {
        if (string.IsNullOrEmpty(_connectionString) || _table is null) return;
        using var dataSource = NpgsqlDataSource.Create(_connectionString);
        using var command = dataSource.CreateCommand($"DROP TABLE IF EXISTS {PostgresDocumentStore.Schema}.{_table}");
        command.ExecuteNonQuery();
        _table = null!;
    }

    private NpgsqlCommand Sql(NpgsqlDataSource dataSource, string sql) => dataSource.CreateCommand(sql.Replace("{table}", PostgresDocumentStore.Schema + "." + _table));

    [Test]
    public void Memory_is_a_bytea_of_little_endian_float32()
    {
        var memory = Memory(seed: 5, memoryTokens: 2, hidden: 4);
        Store.Upsert(new Document("raw"), memory);
        using var dataSource = NpgsqlDataSource.Create(_connectionString);
        using var command = Sql(dataSource, "SELECT memory, memory_tokens, hidden, fingerprint FROM {table} WHERE id = 'raw'");
        using var reader = command.ExecuteReader();
        Assert.That(reader.Read(), Is.True);
        var bytes = reader.GetFieldValue<byte[]>(0);
        var decoded = Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i))).ToArray();
        AssertSameBits(decoded, memory.Values);
        Assert.That((reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3)), Is.EqualTo((2, 4, Model)));
    }

    [Test]
    public void Documents_persist_across_stores_on_one_table()
    {
        var document = new Document("kept", "persisted", [5, 6]);
        Store.Upsert(document, Memory(8));
        Store.Dispose();
        using var reopened = PostgresDocumentStore.Open(_connectionString, Model, _table);
        Assert.That(reopened.TryGet("kept", out var stored), Is.True);
        AssertStored(stored, document, Memory(8));
    }

    [Test]
    public void Opening_a_table_of_another_model_is_refused()
    {
        Store.Upsert(new Document("d"), Memory(1));
        var error = Assert.Throws<MemoryFingerprintMismatchException>(() => PostgresDocumentStore.Open(_connectionString, OtherModel, _table));
        Assert.That(error!.Message, Does.Contain(Model).And.Contain(OtherModel).And.Contain(_table));
    }

    [Test]
    public void A_row_another_model_wrote_later_is_refused_on_read_and_on_upsert()
    {
        using (var dataSource = NpgsqlDataSource.Create(_connectionString))
        using (var insert = Sql(dataSource, "INSERT INTO {table} (id, fingerprint, memory_tokens, hidden, memory) VALUES ('foreign', @fp, 1, 1, @m)"))
        {
            insert.Parameters.AddWithValue("fp", OtherModel);
            insert.Parameters.AddWithValue("m", new byte[4]);
            insert.ExecuteNonQuery();
        }
        var read = Assert.Throws<MemoryFingerprintMismatchException>(() => Store.TryGet("foreign", out _));
        Assert.That(read!.Message, Does.Contain("'foreign'").And.Contain(OtherModel));
        Assert.Throws<MemoryFingerprintMismatchException>(() => Store.Enumerate().ToList());
        Assert.Throws<MemoryFingerprintMismatchException>(() => Store.Upsert(new Document("foreign"), Memory(2)));
        Assert.Throws<InvalidOperationException>(() => Store.Add(new Document("foreign"), Memory(2)));
        Assert.That(Store.Count, Is.EqualTo(1), "the foreign row is neither replaced nor duplicated");
    }

    [TestCase("x; DROP TABLE y")]
    [TestCase("Upper")]
    [TestCase("1abc")]
    [TestCase("")]
    public void Table_names_must_be_plain_identifiers(string table) =>
        Assert.Throws<ArgumentException>(() => PostgresDocumentStore.Open(_connectionString, Model, table));
}
