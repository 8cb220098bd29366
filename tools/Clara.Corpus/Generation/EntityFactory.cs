namespace Clara.Corpus.Generation;

/// <summary>Creates the entities of every kind and split, with fresh names and drawn attribute values.</summary>
public sealed class EntityFactory(NameForge names, ValuePools pools, SeededRandom random, CorpusOptions options)
{
    public IReadOnlyList<Entity> CreateAll()
    {
        var all = new List<Entity>();
        int totalPeople = Enum.GetValues<Split>().Sum(options.Count);
        var firstNames = names.Words(Math.Max(2, totalPeople / options.PeoplePerFirstName), 2);
        foreach (var kind in Catalogue.Kinds)
            foreach (var split in Enum.GetValues<Split>())
                for (int i = 0; i < options.Count(split); i++)
                    all.Add(Create(kind, split, $"{Prefix(kind)}{all.Count(e => e.Kind == kind):D4}", firstNames));
        return all;
    }

    private Entity Create(EntityKind kind, Split split, string id, IReadOnlyList<string> firstNames)
    {
        string? first = null;
        string name;
        switch (kind)
        {
            case EntityKind.Person:
                first = random.Pick(firstNames);
                name = first + " " + names.Word(2);
                break;
            case EntityKind.Organisation:
                name = names.Word(2) + " " + random.Pick(Catalogue.OrganisationWords);
                break;
            default:
                name = names.Word(2, random.Pick(Catalogue.CountrySuffixes));
                break;
        }
        var values = Catalogue.Attributes(kind).ToDictionary(a => a.Key, a => a.Draw(pools, random));
        return new Entity(id, kind, name, first, values, split);
    }

    private static string Prefix(EntityKind kind) => kind switch
    {
        EntityKind.Person => "person-",
        EntityKind.Organisation => "org-",
        _ => "country-",
    };
}
