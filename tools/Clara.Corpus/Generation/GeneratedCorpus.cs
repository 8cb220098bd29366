namespace Clara.Corpus.Generation;

/// <summary>An entity's texts: its document (the only text retrieval sees), a paraphrase, and one restated sentence per attribute.</summary>
public sealed record EntityTexts(Entity Entity, string Document, string Paraphrase, IReadOnlyList<string> Facts);

/// <summary>A question about one attribute of one entity, with its answer and its N candidates (gold at <see cref="Gold"/>).</summary>
public sealed record QuestionItem(Entity Entity, string Attribute, string Question, string Answer, IReadOnlyList<Entity> Candidates, int Gold);

/// <summary>Everything the generator made, in a deterministic order.</summary>
public sealed record GeneratedCorpus(
    CorpusOptions Options,
    IReadOnlyList<EntityTexts> Entities,
    IReadOnlyList<QuestionItem> Questions)
{
    public EntityTexts Texts(Entity entity) => _byId.Value[entity.Id];

    private readonly Lazy<Dictionary<string, EntityTexts>> _byId = new(() => Entities.ToDictionary(e => e.Entity.Id));

    public IEnumerable<EntityTexts> EntitiesIn(Split split) => Entities.Where(e => e.Entity.Split == split);
    public IEnumerable<QuestionItem> QuestionsIn(Split split) => Questions.Where(q => q.Entity.Split == split);
}
