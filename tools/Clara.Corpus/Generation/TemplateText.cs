namespace Clara.Corpus.Generation;

/// <summary>Fills a template's {name}, {value} and {a value} slots.</summary>
public static class TemplateText
{
    public static string Fill(string template, string name, string? value = null)
    {
        var text = template.Replace("{name}", name, StringComparison.Ordinal);
        if (value is not null)
            text = text.Replace("{a value}", Article(value) + " " + value, StringComparison.Ordinal)
                       .Replace("{value}", value, StringComparison.Ordinal);
        if (text.Contains('{'))
            throw new InvalidOperationException($"template '{template}' has a slot left unfilled: '{text}'");
        return text;
    }

    private static string Article(string word) => "aeiouAEIOU".Contains(word[0]) ? "an" : "a";
}
