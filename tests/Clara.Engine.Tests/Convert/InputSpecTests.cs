using Clara.Convert.Inputs;
using NUnit.Framework;

namespace Clara.Engine.Tests.Convert;

public class InputSpecTests
{
    [Test]
    public void NamedInputsSplitOnlyWhenThePrefixIsAName()
    {
        Assert.That(InputSpec.Parse("encoder_adapter=/data/peft"), Is.EqualTo(new InputSpec("/data/peft", "encoder_adapter")));
        Assert.That(InputSpec.Parse("/data/a=b/peft"), Is.EqualTo(new InputSpec("/data/a=b/peft")));
    }
}
