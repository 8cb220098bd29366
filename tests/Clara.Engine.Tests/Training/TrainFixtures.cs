using System.Runtime.InteropServices;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>tests/fixtures/train/*.safetensors, written by tests/oracle/train_fixtures.py.</summary>
internal static class TrainFixtures
{
    public static SafetensorsFile Open(string name)
    {
        var path = Path.Combine(Fixtures.Root, "train", name + ".safetensors");
        if (!File.Exists(path)) Assert.Fail($"fixture {path} is missing; run /usr/bin/python3 tests/oracle/train_fixtures.py");
        return SafetensorsFile.Open(path);
    }

    public static double[] F64(SafetensorsFile file, string name)
    {
        var entry = file[name];
        Assert.That(entry.DType, Is.EqualTo(DType.F64), $"{name} in {file.Path}");
        return MemoryMarshal.Cast<byte, double>(file.GetBytes(entry)).ToArray();
    }
}
