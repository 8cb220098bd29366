using Clara.Engine.Documents;
using Npgsql;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Item 12: the stores agree on ids with NUL (refused by <see cref="Document"/>, never found by a lookup), and
/// table names that are reserved words or catalog names are quoted into a schema of our own.
/// </summary>
public class StoreInputTests
{
    private const string Model = "sha256:hostile";

    private static DocumentMemory Memory() => new(Model, 1, 2, [1f, 2f]);

    [Test]
    public void DocumentIdWithNulIsRefusedForEveryStore()
    {
        var e = Assert.Throws<ArgumentException>(() => _ = new Document("a\0b"));
        Assert.That(e!.Message, Does.Contain("NUL"));
        using var store = new InMemoryDocumentStore(Model);
        Assert.That(store.TryGet("a\0b", out _), Is.False);
    }

    private static string Connection() =>
        Environment.GetEnvironmentVariable("CLARA_TEST_POSTGRES") is { Length: > 0 } c ? c : throw new IgnoreException("CLARA_TEST_POSTGRES is not set (tools/test.sh starts a server)");

    [TestCase("select")]
    [TestCase("user")]
    [TestCase("pg_class")]
    public void ReservedAndCatalogNamesAreOurOwnTables(string table)
    {
        string connection = Connection();
        try
        {
            using (var store = PostgresDocumentStore.Open(connection, Model, table))
            {
                store.Upsert(new Document("d1"), Memory());
                Assert.That(store.TryGet("d1", out var stored), Is.True);
                Assert.That(stored!.Memory.Values.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
                Assert.That(store.TryGet("a\0b", out _), Is.False, "a NUL id is not found, as in memory, instead of a raw PostgresException");
                Assert.That(store.Remove("a\0b"), Is.False);
            }
            using var dataSource = NpgsqlDataSource.Create(connection);
            using var command = dataSource.CreateCommand("SELECT to_regclass('pg_catalog.pg_class') IS NOT NULL AND (SELECT count(*) FROM pg_catalog.pg_class) > 1");
            Assert.That(command.ExecuteScalar(), Is.True, "the system catalog is untouched");
        }
        finally
        {
            using var dataSource = NpgsqlDataSource.Create(connection);
            using var drop = dataSource.CreateCommand($"DROP TABLE IF EXISTS \"{PostgresDocumentStore.Schema}\".\"{table}\"");
            drop.ExecuteNonQuery();
        }
    }
}
