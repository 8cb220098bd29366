using System.Text.Json;

namespace Clara.Server;

/// <summary>Typed reads of a request object's optional fields; a field of the wrong type is a 400 naming it.</summary>
internal static class JsonFields
{
    public static JsonElement RequireObject(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest("the request body must be a JSON object");
        return root;
    }

    /// <summary>The field, or null when it is absent or JSON null (OpenAI clients send null for "not set").</summary>
    public static JsonElement? Get(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static bool? Bool(JsonElement root, string name) => Get(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw ApiError.BadRequest($"'{name}' must be a boolean", name),
    };

    public static int? Int(JsonElement root, string name) => Get(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out int v) => v,
        _ => throw ApiError.BadRequest($"'{name}' must be an integer", name),
    };

    public static long? Long(JsonElement root, string name) => Get(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out long v) => v,
        _ => throw ApiError.BadRequest($"'{name}' must be an integer", name),
    };

    public static float? Number(JsonElement root, string name) => Get(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } n when n.TryGetDouble(out double v) && double.IsFinite(v) => (float)v,
        _ => throw ApiError.BadRequest($"'{name}' must be a number", name),
    };

    public static string? String(JsonElement root, string name) => Get(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        _ => throw ApiError.BadRequest($"'{name}' must be a string", name),
    };

    public static string[]? Strings(JsonElement root, string name) => Get(root, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString()! : throw ApiError.BadRequest($"'{name}' must be an array of strings", name)).ToArray(),
        _ => throw ApiError.BadRequest($"'{name}' must be an array of strings", name),
    };
}
