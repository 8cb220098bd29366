using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;

namespace Clara.Engine.Documents;

/// <summary>
/// A document store in a PostgreSQL table, shared by every process that opens it. Each memory is a bytea of
/// little-endian float32 (n_mem × hidden, row-major) beside its fingerprint and shape. The table is created when
/// absent; opening it with a fingerprint other than the one its rows carry is refused, as is reading or writing
/// such a row later (another process may have written it). All values travel as parameters.
/// </summary>
public sealed partial class PostgresDocumentStore : IDocumentStore
{
    public const string DefaultTable = "clara_documents";

    /// <summary>
    /// Every table lives in this schema of our own, so a name like pg_class can never resolve to a system catalog
    /// (pg_catalog is searched first for unqualified names) or to another application's table.
    /// </summary>
    public const string Schema = "clara";

    private const string Columns = "id, text, token_ids, fingerprint, memory_tokens, hidden, memory";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private readonly string _name;

    private PostgresDocumentStore(NpgsqlDataSource dataSource, string table, string fingerprint)
    {
        _dataSource = dataSource;
        // Quoted, so reserved words (select, user) are table names rather than SQL.
        _table = $"\"{Schema}\".\"{table}\"";
        _name = $"PostgreSQL table {table}";
        Fingerprint = fingerprint;
    }

    public string Fingerprint { get; }

    /// <summary>Opens (creating when absent) <paramref name="table"/> for the memories of <paramref name="fingerprint"/>.</summary>
    /// <param name="table">A plain lower-case identifier (letters, digits, underscores), since identifiers cannot be parameters.</param>
    /// <exception cref="MemoryFingerprintMismatchException">The table holds memories of another fingerprint.</exception>
    public static PostgresDocumentStore Open(string connectionString, string fingerprint, string table = DefaultTable)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        if (!PlainIdentifier().IsMatch(table))
            throw new ArgumentException($"table name '{table}' is not a plain lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)", nameof(table));
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.EnableArrays();
        var store = new PostgresDocumentStore(builder.Build(), table, fingerprint);
        try
        {
            store.CreateTableIfAbsent();
            store.RefuseOtherFingerprints();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainIdentifier();

    private void CreateTableIfAbsent()
    {
        using var connection = _dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        // Two processes creating the same table at once would collide in the catalog; the lock orders them.
        Execute(connection, "SELECT pg_advisory_xact_lock(hashtext(@table))", ("table", _table));
        Execute(connection, $"CREATE SCHEMA IF NOT EXISTS \"{Schema}\"");
        Execute(connection, $"""
            CREATE TABLE IF NOT EXISTS {_table} (
                id            text    PRIMARY KEY,
                text          text,
                token_ids     integer[],
                fingerprint   text    NOT NULL,
                memory_tokens integer NOT NULL CHECK (memory_tokens > 0),
                hidden        integer NOT NULL CHECK (hidden > 0),
                memory        bytea   NOT NULL CHECK (octet_length(memory) = 4 * memory_tokens * hidden)
            )
            """);
        transaction.Commit();
    }

    private void RefuseOtherFingerprints()
    {
        using var command = _dataSource.CreateCommand($"SELECT fingerprint, count(*) FROM {_table} WHERE fingerprint <> @fingerprint GROUP BY fingerprint LIMIT 1");
        command.Parameters.AddWithValue("fingerprint", Fingerprint);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return;
        string other = reader.GetString(0);
        throw new MemoryFingerprintMismatchException(
            $"{_name} holds {reader.GetInt64(1)} memories made by model '{other}', but this engine runs model '{Fingerprint}'; " +
            "use another table for this model, or remove those rows", Fingerprint, other);
    }

    public void Add(Document document, DocumentMemory memory)
    {
        FingerprintCheck.Writing(Fingerprint, document, memory, _name);
        using var command = Write($"INSERT INTO {_table} ({Columns}) VALUES (@id, @text, @token_ids, @fingerprint, @memory_tokens, @hidden, @memory)",
            document, memory);
        try
        {
            command.ExecuteNonQuery();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new InvalidOperationException($"{_name}: document '{document.Id}' is already stored; use Upsert to replace it", e);
        }
    }

    public void Upsert(Document document, DocumentMemory memory)
    {
        FingerprintCheck.Writing(Fingerprint, document, memory, _name);
        // The update is conditional, so a row of another fingerprint is neither overwritten nor silently kept.
        using var command = Write($"""
            INSERT INTO {_table} ({Columns}) VALUES (@id, @text, @token_ids, @fingerprint, @memory_tokens, @hidden, @memory)
            ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text, token_ids = EXCLUDED.token_ids, memory_tokens = EXCLUDED.memory_tokens,
                hidden = EXCLUDED.hidden, memory = EXCLUDED.memory
            WHERE {_table}.fingerprint = EXCLUDED.fingerprint
            """, document, memory);
        if (command.ExecuteNonQuery() == 0)
        {
            string found = FingerprintOf(document.Id) ?? throw new InvalidOperationException($"{_name}: upsert of document '{document.Id}' changed no row");
            FingerprintCheck.Reading(Fingerprint, document.Id, found, _name);
        }
    }

    public bool TryGet(string id, [NotNullWhen(true)] out StoredDocument? stored)
    {
        // No stored id holds a NUL (Document refuses it), and PostgreSQL would reject the parameter: not found, as in memory.
        if (id?.Contains('\0') == true) { stored = null; return false; }
        ArgumentNullException.ThrowIfNull(id);
        using var command = _dataSource.CreateCommand($"SELECT {Columns} FROM {_table} WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        using var reader = command.ExecuteReader();
        stored = reader.Read() ? ReadRow(reader) : null;
        return stored is not null;
    }

    public IReadOnlyDictionary<string, StoredDocument> GetMany(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids.Select(id => id ?? throw new ArgumentException("an id is null", nameof(ids))).Where(id => !id.Contains('\0')).Distinct(StringComparer.Ordinal).ToArray();
        var found = new Dictionary<string, StoredDocument>(StringComparer.Ordinal);
        if (wanted.Length == 0) return found;
        using var command = _dataSource.CreateCommand($"SELECT {Columns} FROM {_table} WHERE id = ANY(@ids)");
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = wanted });
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var stored = ReadRow(reader);
            found[stored.Id] = stored;
        }
        return found;
    }

    public bool Remove(string id)
    {
        if (id?.Contains('\0') == true) return false; // see TryGet
        ArgumentNullException.ThrowIfNull(id);
        using var command = _dataSource.CreateCommand($"DELETE FROM {_table} WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return command.ExecuteNonQuery() > 0;
    }

    public int Count
    {
        get
        {
            using var command = _dataSource.CreateCommand($"SELECT count(*) FROM {_table}");
            return checked((int)(long)command.ExecuteScalar()!);
        }
    }

    /// <summary>Streams the rows; each row is checked as it is read.</summary>
    public IEnumerable<StoredDocument> Enumerate()
    {
        using var command = _dataSource.CreateCommand($"SELECT {Columns} FROM {_table}");
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return ReadRow(reader);
    }

    public void Dispose() => _dataSource.Dispose();

    private NpgsqlCommand Write(string sql, Document document, DocumentMemory memory)
    {
        var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Text) { Value = document.Id });
        command.Parameters.Add(new NpgsqlParameter("text", NpgsqlDbType.Text) { Value = (object?)document.Text ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("token_ids", NpgsqlDbType.Array | NpgsqlDbType.Integer)
            { Value = (object?)document.TokenIds?.ToArray() ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("fingerprint", NpgsqlDbType.Text) { Value = memory.Fingerprint });
        command.Parameters.Add(new NpgsqlParameter("memory_tokens", NpgsqlDbType.Integer) { Value = memory.MemoryTokens });
        command.Parameters.Add(new NpgsqlParameter("hidden", NpgsqlDbType.Integer) { Value = memory.Hidden });
        command.Parameters.Add(new NpgsqlParameter("memory", NpgsqlDbType.Bytea) { Value = memory.ToLittleEndianBytes() });
        return command;
    }

    private string? FingerprintOf(string id)
    {
        using var command = _dataSource.CreateCommand($"SELECT fingerprint FROM {_table} WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return command.ExecuteScalar() as string;
    }

    /// <summary>One row, in <see cref="Columns"/> order, checked before it becomes a <see cref="StoredDocument"/>.</summary>
    private StoredDocument ReadRow(NpgsqlDataReader reader)
    {
        string id = reader.GetString(0);
        string fingerprint = reader.GetString(3);
        FingerprintCheck.Reading(Fingerprint, id, fingerprint, _name);
        int memoryTokens = reader.GetInt32(4), hidden = reader.GetInt32(5);
        var bytes = reader.GetFieldValue<byte[]>(6);
        if (bytes.Length != 4L * memoryTokens * hidden)
            throw new InvalidDataException($"{_name}: document '{id}' has {bytes.Length} memory bytes, not 4 × {memoryTokens} × {hidden}");
        var document = new Document(id,
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<int[]>(2));
        return new StoredDocument(document, DocumentMemory.FromLittleEndianBytes(fingerprint, memoryTokens, hidden, bytes));
    }

    private static void Execute(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }
}
