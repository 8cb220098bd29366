using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests;

public class ShapeTests
{
    [Test]
    public void ElementCountAndRows()
    {
        var s = new Shape(2, 3, 5);
        Assert.That(s.ElementCount, Is.EqualTo(30));
        Assert.That(s.Rows, Is.EqualTo(6));
        Assert.That(s[-1], Is.EqualTo(5));
    }

    [Test]
    public void NegativeDimensionIsRejected() =>
        Assert.That(() => new Shape(2, -1), Throws.ArgumentException.With.Message.Contains("negative"));

    [Test]
    public void BF16RoundsToNearestEven()
    {
        Assert.That(FloatBits.FloatToBF16(1.0f), Is.EqualTo(0x3F80));
        // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0).
        Assert.That(FloatBits.FloatToBF16(1.00390625f), Is.EqualTo(0x3F80));
        Assert.That(FloatBits.BF16ToFloat(0x3F81), Is.EqualTo(1.0078125f));
    }
}
