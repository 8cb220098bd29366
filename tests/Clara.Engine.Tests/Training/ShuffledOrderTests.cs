using Clara.Engine.Training.Data;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

public class ShuffledOrderTests
{
    [Test]
    public void EveryEpochIsAPermutationAndEpochsDiffer()
    {
        var order = new ShuffledOrder(10, seed: 3);
        var first = order.Next(10);
        var second = order.Next(10);
        Assert.Multiple(() =>
        {
            Assert.That(first.Order(), Is.EqualTo(Enumerable.Range(0, 10)));
            Assert.That(second.Order(), Is.EqualTo(Enumerable.Range(0, 10)));
            Assert.That(second, Is.Not.EqualTo(first));
            Assert.That(first, Is.Not.EqualTo(Enumerable.Range(0, 10)), "shuffled");
        });
    }

    [Test]
    public void ThePositionAloneRestoresTheStream()
    {
        var straight = new ShuffledOrder(7, seed: 11);
        var all = straight.Next(30);
        var restored = new ShuffledOrder(7, seed: 11) { Position = 13 };
        Assert.That(restored.Next(17), Is.EqualTo(all[13..]));
    }

    [Test]
    public void TheSeedChangesTheOrder() =>
        Assert.That(new ShuffledOrder(20, 1).Next(20), Is.Not.EqualTo(new ShuffledOrder(20, 2).Next(20)));
}
