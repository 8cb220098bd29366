using System.Text.Json;

namespace Clara.Engine.Training.Data;

/// <summary>
/// One JSON object of a training data file. Every accessor throws <see cref="ExampleFieldException"/> naming the field,
/// so the file reader can report "file:line: field: problem".
/// </summary>
public sealed class TrainingLine(JsonElement root)
{
    public bool Has(string field) => root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    public string String(string field)
    {
        var v = Required(field);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new ExampleFieldException(field, "must be a string");
    }

    public int[] Ids(string field) => ParseIds(Required(field), field);

    /// <summary>An array of id arrays ("docs" in the pre-tokenized form).</summary>
    public IReadOnlyList<int>[] IdLists(string field)
    {
        var v = Array(field);
        return v.EnumerateArray().Select((item, i) => (IReadOnlyList<int>)ParseIds(item, $"{field}[{i}]")).ToArray();
    }

    /// <summary>An array of strings ("docs" in the text form).</summary>
    public string[] Strings(string field)
    {
        var v = Array(field);
        return v.EnumerateArray().Select((item, i) => item.ValueKind == JsonValueKind.String
            ? item.GetString()! : throw new ExampleFieldException($"{field}[{i}]", "must be a string")).ToArray();
    }

    public int? OptionalInt(string field)
    {
        if (!Has(field)) return null;
        var v = root.GetProperty(field);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : throw new ExampleFieldException(field, $"must be an integer, got {v.GetRawText()}");
    }

    /// <summary>True when the array's first element is an array (docs as ids), false when a string (docs as text).</summary>
    public bool IsIdListArray(string field)
    {
        var v = Array(field);
        return v.GetArrayLength() > 0 && v[0].ValueKind == JsonValueKind.Array;
    }

    private JsonElement Array(string field)
    {
        var v = Required(field);
        return v.ValueKind == JsonValueKind.Array ? v : throw new ExampleFieldException(field, "must be an array");
    }

    private JsonElement Required(string field) =>
        root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : throw new ExampleFieldException(field, "is missing");

    private static int[] ParseIds(JsonElement v, string field)
    {
        if (v.ValueKind != JsonValueKind.Array) throw new ExampleFieldException(field, "must be an array of token ids");
        var ids = new int[v.GetArrayLength()];
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out ids[i]) || ids[i] < 0)
                throw new ExampleFieldException(field, $"element {i} is {item.GetRawText()}, not a token id");
            i++;
        }
        return ids;
    }
}
