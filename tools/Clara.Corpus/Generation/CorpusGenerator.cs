namespace Clara.Corpus.Generation;

/// <summary>
/// The whole corpus from a seed: entities split by entity (train / validation / test), their texts, and one question
/// per attribute with its candidates. Every part draws from its own forked stream, so the same options always give
/// the same corpus.
/// </summary>
public static class CorpusGenerator
{
    public static GeneratedCorpus Generate(CorpusOptions options)
    {
        options.Validate();
        var root = new SeededRandom(options.Seed);
        var names = new NameForge(root.Fork("names"));
        var pools = new ValuePools(names);
        var entities = new EntityFactory(names, pools, root.Fork("entities"), options).CreateAll();

        var renderer = new FactRenderer(root.Fork("texts"));
        var texts = new List<EntityTexts>(entities.Count);
        foreach (var entity in entities)
        {
            var (document, templates) = renderer.Document(entity);
            var paraphrase = renderer.Paraphrase(entity, templates);
            var facts = Catalogue.Attributes(entity.Kind).Select(a => renderer.Fact(entity, a, templates[a.Key])).ToList();
            texts.Add(new EntityTexts(entity, document, paraphrase, facts));
        }

        var picker = new CandidatePicker(root.Fork("candidates"), options.Candidates);
        var questions = new List<QuestionItem>();
        var groups = entities.GroupBy(e => (e.Kind, e.Split)).ToDictionary(g => g.Key, g => (IReadOnlyList<Entity>)g.ToList());
        foreach (var entity in entities)
            foreach (var attribute in Catalogue.Attributes(entity.Kind))
            {
                var (candidates, gold) = picker.Pick(entity, attribute, groups[(entity.Kind, entity.Split)]);
                questions.Add(new QuestionItem(entity, attribute.Key, renderer.Question(entity, attribute), entity.Values[attribute.Key], candidates, gold));
            }
        return new GeneratedCorpus(options, texts, questions);
    }
}
