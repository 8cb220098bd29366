using Clara.CommandLine;
using Clara.Engine.Documents;
using Npgsql;

namespace Clara.Cli;

/// <summary>
/// --store: a directory (a <see cref="FileDocumentStore"/>, the default) or a PostgreSQL URL
/// <c>postgres://user:password@host:port/database?table=NAME&amp;sslmode=...</c> (a <see cref="PostgresDocumentStore"/>;
/// the table defaults to clara_documents, other query parameters are Npgsql connection settings).
/// </summary>
internal sealed record StoreLocation(string Text, string? Directory, string? ConnectionString, string Table)
{
    public bool IsPostgres => ConnectionString is not null;

    public static StoreLocation Parse(string text)
    {
        if (!text.StartsWith("postgres://", StringComparison.Ordinal) && !text.StartsWith("postgresql://", StringComparison.Ordinal))
            return new StoreLocation(text, text, null, PostgresDocumentStore.DefaultTable);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new UsageException($"--store '{Redacted(text)}' is not a PostgreSQL URL (postgres://user:password@host:port/database)");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        string table = PostgresDocumentStore.DefaultTable;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.Split('=', 2) is [var k, var v] ? (Uri.UnescapeDataString(k), Uri.UnescapeDataString(v)) : (Uri.UnescapeDataString(pair), "");
            if (key == "table") { table = value; continue; }
            try
            {
                builder[key] = value;
            }
            catch (ArgumentException)
            {
                throw new UsageException($"--store: '{key}' is not a PostgreSQL connection setting");
            }
        }
        return new StoreLocation(Redacted(text), null, builder.ConnectionString, table);
    }

    /// <summary>Opens the store for <paramref name="fingerprint"/>; a directory store read-only unless <paramref name="write"/>.</summary>
    /// <exception cref="IOException">The PostgreSQL server cannot be reached or refuses the login (named, password hidden).</exception>
    public IDocumentStore Open(string fingerprint, bool write)
    {
        if (ConnectionString is not { } connection) return FileDocumentStore.Open(Directory!, fingerprint, readOnly: !write);
        try
        {
            return PostgresDocumentStore.Open(connection, fingerprint, Table);
        }
        catch (NpgsqlException e)
        {
            // An unreachable server or a refused login is the user's setting, not an engine fault.
            throw new IOException($"--store {Text}: {e.Message}", e);
        }
    }

    /// <summary>The location as printed: a URL's password replaced by ***.</summary>
    private static string Redacted(string text)
    {
        int scheme = text.IndexOf("://", StringComparison.Ordinal), at = text.LastIndexOf('@');
        if (scheme < 0 || at < 0) return text;
        int colon = text.IndexOf(':', scheme + 3);
        return colon >= 0 && colon < at ? text[..(colon + 1)] + "***" + text[at..] : text;
    }
}
