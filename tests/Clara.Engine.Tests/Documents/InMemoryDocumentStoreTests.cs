using Clara.Engine.Documents;
using NUnit.Framework;

namespace Clara.Engine.Tests.Documents;

[TestFixture]
public sealed class InMemoryDocumentStoreTests : DocumentStoreContract
{
    protected override IDocumentStore CreateStore(string fingerprint) => new InMemoryDocumentStore(fingerprint);

    [Test]
    public void Enumeration_is_a_snapshot()
    {
        Store.Add(new Document("a"), Memory(1));
        using var enumerator = Store.Enumerate().GetEnumerator();
        Store.Add(new Document("b"), Memory(2));
        var seen = new List<string>();
        while (enumerator.MoveNext()) seen.Add(enumerator.Current.Id);
        Assert.That(seen, Is.EqualTo(new[] { "a" }));
    }
}
