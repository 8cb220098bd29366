namespace Clara.Corpus.Generation;

/// <summary>
/// The values attributes take. Towns and languages are invented words (shared by every split: they are values,
/// not the entities the questions are about); the rest are ordinary English words.
/// </summary>
public sealed class ValuePools
{
    public const int TownCount = 160;
    public const int LanguageCount = 30;

    public ValuePools(NameForge names)
    {
        Towns = names.Words(TownCount, 1, "ton", "burg", "ford", "port", "vale", "wick", "mouth", "haven");
        Languages = names.Words(LanguageCount, 1, "ish", "ese", "ic", "ian");
    }

    public IReadOnlyList<string> Towns { get; }
    public IReadOnlyList<string> Languages { get; }

    public static IReadOnlyList<string> Professions { get; } =
    [
        "baker", "carpenter", "architect", "engineer", "painter", "sailor", "teacher", "doctor", "farmer", "lawyer",
        "astronomer", "chemist", "poet", "weaver", "potter", "surgeon", "librarian", "pilot", "journalist", "gardener",
        "tailor", "blacksmith", "geologist", "translator", "photographer", "musician", "economist", "historian",
    ];

    public static IReadOnlyList<string> Instruments { get; } =
    [
        "violin", "cello", "flute", "piano", "harp", "guitar", "trumpet", "clarinet", "oboe", "drums", "accordion",
        "banjo", "organ", "saxophone", "lute", "trombone", "mandolin", "bassoon",
    ];

    public static IReadOnlyList<string> Industries { get; } =
    [
        "shipping", "textile", "mining", "software", "farming", "banking", "printing", "glass", "brewing", "aviation",
        "insurance", "steel", "timber", "fishing", "pottery", "railway", "chocolate", "perfume", "clockmaking", "salt",
    ];

    public static IReadOnlyList<string> Currencies { get; } =
    [
        "crown", "mark", "florin", "shilling", "ducat", "guilder", "thaler", "dinar", "drachma", "lira", "franc",
        "escudo", "rand", "peso", "rouble", "pound", "tael", "sovereign",
    ];
}
