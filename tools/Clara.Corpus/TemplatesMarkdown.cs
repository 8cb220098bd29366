using System.Text;
using Clara.Corpus.Generation;

namespace Clara.Corpus;

/// <summary>The catalogue as markdown, for samples/README.md (so the documented templates are the generator's own).</summary>
public static class TemplatesMarkdown
{
    public static string Render()
    {
        var text = new StringBuilder();
        foreach (var kind in Catalogue.Kinds)
        {
            text.Append("### ").Append(kind).Append("\n\n");
            text.Append("| attribute | document sentences | questions |\n|---|---|---|\n");
            foreach (var a in Catalogue.Attributes(kind))
                text.Append($"| {a.Key} | {Join(a.DocumentTemplates)} | {Join(a.QuestionTemplates)} |\n");
            text.Append('\n');
        }
        return text.ToString();
    }

    private static string Join(IEnumerable<string> templates) => string.Join("<br>", templates.Select(t => "`" + t + "`"));
}
