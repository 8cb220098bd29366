namespace Clara.Corpus.Generation;

/// <summary>
/// Every kind of entity, its attributes and their templates: the whole language of the corpus. samples/README.md
/// prints this (clara-corpus templates), so anyone can write new documents and questions the model understands.
/// </summary>
public static class Catalogue
{
    public static IReadOnlyList<AttributeSpec> Attributes(EntityKind kind) => kind switch
    {
        EntityKind.Person => Person,
        EntityKind.Organisation => Organisation,
        EntityKind.Country => Country,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown entity kind"),
    };

    public static IReadOnlyList<EntityKind> Kinds { get; } = [EntityKind.Person, EntityKind.Organisation, EntityKind.Country];

    /// <summary>Organisation names are a fresh word and one of these.</summary>
    public static IReadOnlyList<string> OrganisationWords { get; } = ["Group", "Works", "Holdings", "Company", "Guild", "Trust", "Partners"];

    /// <summary>Country names are a fresh word ending in one of these.</summary>
    public static IReadOnlyList<string> CountrySuffixes { get; } = ["ia", "land", "ora", "istan", "mark", "ary"];

    private static string Year(int from, int to, SeededRandom r) => r.Between(from, to).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly AttributeSpec[] Person =
    [
        new("birthplace",
            ["{name} was born in {value}.", "{name} is a native of {value}.", "The birthplace of {name} is {value}.",
             "{value} is the hometown of {name}.", "{name} came into the world in the town of {value}."],
            ["Where was {name} born?", "In which town was {name} born?", "What is the birthplace of {name}?",
             "Which town is the hometown of {name}?"],
            (p, r) => r.Pick(p.Towns)),
        new("profession",
            ["{name} works as {a value}.", "{name} is {a value} by profession.", "By trade, {name} is {a value}.",
             "{name} earns a living as {a value}.", "The profession of {name} is {value}."],
            ["What does {name} do for a living?", "What is the profession of {name}?", "What is the job of {name}?",
             "Which profession does {name} have?"],
            (_, r) => r.Pick(ValuePools.Professions)),
        new("birth year",
            ["{name} was born in the year {value}.", "The birth year of {name} is {value}.", "{name} was born in {value}.",
             "In {value}, {name} was born."],
            ["In which year was {name} born?", "When was {name} born?", "What is the birth year of {name}?"],
            (_, r) => Year(1820, 1999, r)),
        new("instrument",
            ["{name} plays the {value}.", "In spare time, {name} plays the {value}.", "The favourite instrument of {name} is the {value}.",
             "{name} has played the {value} since childhood."],
            ["Which instrument does {name} play?", "What instrument does {name} play?", "What is the favourite instrument of {name}?"],
            (_, r) => r.Pick(ValuePools.Instruments)),
    ];

    private static readonly AttributeSpec[] Organisation =
    [
        new("founding year",
            ["{name} was founded in {value}.", "{name} was established in {value}.", "The founding year of {name} is {value}.",
             "{name} has been in business since {value}."],
            ["When was {name} founded?", "In which year was {name} established?", "What is the founding year of {name}?"],
            (_, r) => Year(1700, 2015, r)),
        new("headquarters",
            ["{name} has its headquarters in {value}.", "The head office of {name} is in {value}.", "{name} is based in {value}.",
             "The headquarters of {name} are located in {value}."],
            ["Where is {name} based?", "Where are the headquarters of {name}?", "In which town is the head office of {name}?"],
            (p, r) => r.Pick(p.Towns)),
        new("industry",
            ["{name} works in the {value} industry.", "{name} is {a value} business.", "The industry of {name} is {value}.",
             "{name} makes its money in {value}."],
            ["What industry is {name} in?", "In which industry does {name} work?", "What is the industry of {name}?"],
            (_, r) => r.Pick(ValuePools.Industries)),
        new("employees",
            ["{name} employs {value} people.", "{name} has {value} employees.", "The staff of {name} numbers {value}.",
             "There are {value} people working for {name}."],
            ["How many people does {name} employ?", "How many employees does {name} have?", "How large is the staff of {name}?"],
            (_, r) => (r.Between(2, 99) * 50).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    private static readonly AttributeSpec[] Country =
    [
        new("capital",
            ["The capital of {name} is {value}.", "{value} is the capital city of {name}.", "{name} is governed from its capital, {value}.",
             "The government of {name} sits in {value}."],
            ["What is the capital of {name}?", "Which city is the capital of {name}?", "From which city is {name} governed?"],
            (p, r) => r.Pick(p.Towns)),
        new("language",
            ["People in {name} speak {value}.", "The official language of {name} is {value}.", "{value} is spoken throughout {name}.",
             "Most people in {name} speak {value}."],
            ["What language is spoken in {name}?", "What is the official language of {name}?", "Which language do people in {name} speak?"],
            (p, r) => r.Pick(p.Languages)),
        new("currency",
            ["The currency of {name} is the {value}.", "{name} pays with the {value}.", "Money in {name} is counted in the {value}.",
             "The {value} is the currency used in {name}."],
            ["What is the currency of {name}?", "Which currency is used in {name}?", "What money does {name} use?"],
            (_, r) => r.Pick(ValuePools.Currencies)),
        new("independence year",
            ["{name} became independent in {value}.", "{name} gained independence in {value}.", "The independence of {name} dates from {value}.",
             "Since {value}, {name} has been independent."],
            ["When did {name} become independent?", "In which year did {name} gain independence?", "What is the independence year of {name}?"],
            (_, r) => Year(1400, 1990, r)),
    ];
}
