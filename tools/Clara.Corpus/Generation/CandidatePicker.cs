namespace Clara.Corpus.Generation;

/// <summary>
/// The N candidates of a question: the gold entity and N − 1 distractors of the same kind from the same split
/// (so they share the templates), among them up to <see cref="HardPerReason"/> sharing the gold's first name and up
/// to as many sharing the asked attribute's value, so neither the first name nor the answer gives the gold away.
/// </summary>
public sealed class CandidatePicker(SeededRandom random, int candidates)
{
    public const int HardPerReason = 3;

    /// <returns>The candidates in presentation order and the gold's index among them.</returns>
    public (IReadOnlyList<Entity> Candidates, int Gold) Pick(Entity gold, AttributeSpec attribute, IReadOnlyList<Entity> sameKindSameSplit)
    {
        var others = sameKindSameSplit.Where(e => e.Id != gold.Id).ToList();
        var chosen = new List<Entity>();
        void Take(IEnumerable<Entity> pool, int count)
        {
            var list = pool.Where(e => !chosen.Contains(e)).ToList();
            random.Shuffle(list);
            chosen.AddRange(list.Take(Math.Min(count, candidates - 1 - chosen.Count)));
        }
        if (gold.FirstName is not null) Take(others.Where(e => e.FirstName == gold.FirstName), HardPerReason);
        Take(others.Where(e => e.Values[attribute.Key] == gold.Values[attribute.Key]), HardPerReason);
        Take(others, candidates - 1);
        if (chosen.Count != candidates - 1)
            throw new InvalidOperationException($"{gold.Id}: only {chosen.Count} distractors of kind {gold.Kind} in split {gold.Split}, need {candidates - 1}");
        chosen.Add(gold);
        random.Shuffle(chosen);
        return (chosen, chosen.IndexOf(gold));
    }
}
