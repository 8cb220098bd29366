namespace Clara.Corpus.Generation;

/// <summary>
/// Writes an entity's facts as text: its document (every attribute, shuffled order, one template each), a
/// paraphrase (another order and, where the attribute has more than one, other templates than the document's),
/// and single-fact sentences in a template the document did not use.
/// </summary>
public sealed class FactRenderer(SeededRandom random)
{
    /// <summary>The document and which template index stated each attribute in it.</summary>
    public (string Text, IReadOnlyDictionary<string, int> Templates) Document(Entity entity)
    {
        var attributes = Catalogue.Attributes(entity.Kind).ToList();
        random.Shuffle(attributes);
        var used = new Dictionary<string, int>();
        var sentences = new List<string>();
        foreach (var attribute in attributes)
        {
            int t = random.Next(attribute.DocumentTemplates.Count);
            used[attribute.Key] = t;
            sentences.Add(TemplateText.Fill(attribute.DocumentTemplates[t], entity.Name, entity.Values[attribute.Key]));
        }
        return (string.Join(" ", sentences), used);
    }

    public string Paraphrase(Entity entity, IReadOnlyDictionary<string, int> documentTemplates)
    {
        var attributes = Catalogue.Attributes(entity.Kind).ToList();
        random.Shuffle(attributes);
        return string.Join(" ", attributes.Select(a => Fact(entity, a, documentTemplates[a.Key])));
    }

    /// <summary>One attribute stated with a template other than <paramref name="avoidTemplate"/>.</summary>
    public string Fact(Entity entity, AttributeSpec attribute, int avoidTemplate)
    {
        int count = attribute.DocumentTemplates.Count;
        int t = count == 1 ? 0 : (avoidTemplate + 1 + random.Next(count - 1)) % count;
        return TemplateText.Fill(attribute.DocumentTemplates[t], entity.Name, entity.Values[attribute.Key]);
    }

    public string Question(Entity entity, AttributeSpec attribute) =>
        TemplateText.Fill(random.Pick(attribute.QuestionTemplates), entity.Name);
}
