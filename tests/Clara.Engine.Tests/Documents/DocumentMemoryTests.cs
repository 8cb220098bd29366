using Clara.Engine.Documents;
using NUnit.Framework;

namespace Clara.Engine.Tests.Documents;

[TestFixture]
public sealed class DocumentMemoryTests
{
    [Test]
    public void Shape_must_match_the_values()
    {
        var error = Assert.Throws<ArgumentException>(() => new DocumentMemory("m", 2, 3, new float[5]));
        Assert.That(error!.Message, Does.Contain("2 × 3").And.Contain("6").And.Contain("5"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DocumentMemory("m", 0, 3, []));
        Assert.Throws<ArgumentException>(() => new DocumentMemory("", 1, 1, new float[1]));
    }

    [Test]
    public void Values_are_copied_in_and_rows_are_slices()
    {
        float[] values = [1, 2, 3, 4, 5, 6];
        var memory = new DocumentMemory("m", 2, 3, values);
        values[4] = 99;
        Assert.That(memory.Row(1).ToArray(), Is.EqualTo(new float[] { 4, 5, 6 }));
        Assert.That(memory.Row(0).ToArray(), Is.EqualTo(new float[] { 1, 2, 3 }));
    }

    [Test]
    public void Document_copies_its_token_ids_and_needs_an_id()
    {
        int[] ids = [1, 2];
        var document = new Document("d", tokenIds: ids);
        ids[0] = 7;
        Assert.That(document.TokenIds, Is.EqualTo(new[] { 1, 2 }));
        Assert.Throws<ArgumentException>(() => new Document(""));
    }
}
