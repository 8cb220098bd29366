namespace Clara.Corpus.Generation;

/// <summary>How much corpus to make, and from which seed.</summary>
public sealed record CorpusOptions
{
    public ulong Seed { get; init; } = 2511;

    /// <summary>Entities of each kind (person, organisation, country) in each split.</summary>
    public int TrainPerKind { get; init; } = 400;
    public int ValidationPerKind { get; init; } = 40;
    public int TestPerKind { get; init; } = 40;

    /// <summary>Candidates per question: the gold document and Candidates − 1 distractors (N of the paper).</summary>
    public int Candidates { get; init; } = 20;

    /// <summary>Documents per instruction-tuning example (the model's top-k).</summary>
    public int InstructDocuments { get; init; } = 3;

    /// <summary>About this many people share each first name.</summary>
    public int PeoplePerFirstName { get; init; } = 8;

    public void Validate()
    {
        foreach (var (name, count) in new[] { ("train", TrainPerKind), ("validation", ValidationPerKind), ("test", TestPerKind) })
            if (count < Candidates)
                throw new Clara.Engine.InvalidInputException($"--{name} {count}: each split needs at least as many entities of a kind as --candidates ({Candidates}), since distractors come from the same split");
        if (Candidates < 2) throw new Clara.Engine.InvalidInputException($"--candidates {Candidates}: a question needs the gold document and at least one distractor");
        if (InstructDocuments < 1 || InstructDocuments > Candidates)
            throw new Clara.Engine.InvalidInputException($"--k {InstructDocuments} must be between 1 and --candidates ({Candidates})");
        if (PeoplePerFirstName < 1) throw new Clara.Engine.InvalidInputException($"people per first name must be positive, got {PeoplePerFirstName}");
    }

    public int Count(Split split) => split switch
    {
        Split.Train => TrainPerKind,
        Split.Validation => ValidationPerKind,
        _ => TestPerKind,
    };
}
