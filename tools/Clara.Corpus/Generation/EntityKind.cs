namespace Clara.Corpus.Generation;

public enum EntityKind { Person, Organisation, Country }

/// <summary>Which part of the corpus an entity belongs to; a test entity occurs in no training text.</summary>
public enum Split { Train, Validation, Test }

/// <summary>
/// One attribute of a kind of entity: the sentences a document states it with, the questions that ask for it, and
/// where its values come from. Templates hold {name}, {value} and {a value} (the value after "a" or "an").
/// </summary>
public sealed record AttributeSpec(
    string Key,
    IReadOnlyList<string> DocumentTemplates,
    IReadOnlyList<string> QuestionTemplates,
    Func<ValuePools, SeededRandom, string> Draw);

/// <summary>A fictional entity with one value per attribute of its kind.</summary>
public sealed record Entity(
    string Id,
    EntityKind Kind,
    string Name,
    string? FirstName,
    IReadOnlyDictionary<string, string> Values,
    Split Split);
