using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.IO;

/// <summary>Corrupting a valid file at random must only ever produce <see cref="SafetensorsFormatException"/>, never a crash or another exception.</summary>
public class SafetensorsFuzzTests
{
    private const int Iterations = 500;

    [Test]
    public void CorruptedFilesOnlyEverRaiseFormatErrors()
    {
        using var dir = new TempDirectory();
        string validPath = dir.File("valid.safetensors");
        SafetensorsWriter.Write(validPath,
        [
            TensorToWrite.FromFloat32("embed", new Shape(4, 3), Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray(), DType.BF16),
            TensorToWrite.FromFloat32("norm", new Shape(3), new float[] { 1, 2, 3 }),
            TensorToWrite.FromInt64("ids", new Shape(2), new long[] { 7, 9 }),
            TensorToWrite.FromBytes("empty", DType.F16, new Shape(0, 5), Array.Empty<byte>()),
            TensorToWrite.FromFloat32("half", new Shape(2), new float[] { -1, 0.25f }, DType.F16),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        byte[] valid = File.ReadAllBytes(validPath);
        int headerEnd = 8 + (int)BitConverter.ToUInt64(valid);

        var random = new Random(20240611);
        int rejected = 0, accepted = 0;
        string path = dir.File("mutant.safetensors");
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            byte[] mutant = Mutate(valid, headerEnd, random, out string how);
            File.WriteAllBytes(path, mutant);
            try
            {
                using var file = SafetensorsFile.Open(path);
                ReadEverything(file);
                accepted++;
            }
            catch (SafetensorsFormatException e)
            {
                Assert.That(e.Message, Does.Contain("mutant.safetensors"), $"iteration {iteration} ({how})");
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration} ({how}) escaped as {e.GetType().Name}: {e.Message}");
            }
        }
        TestContext.Out.WriteLine($"{rejected} mutants rejected, {accepted} accepted and fully read");
        // Both outcomes must occur, or the mutations are not exercising the validator.
        Assert.That(rejected, Is.GreaterThan(Iterations / 4));
        Assert.That(accepted, Is.GreaterThan(0));
    }

    private static void ReadEverything(SafetensorsFile file)
    {
        foreach (var entry in file.Tensors)
        {
            Assert.That(file.GetBytes(entry).Length, Is.EqualTo(entry.ByteLength));
            if (entry.DType.IsFloatStorage()) Assert.That(file.ReadAsFloat32(entry.Name), Has.Length.EqualTo(entry.ElementCount));
            if (entry.DType is DType.I64 or DType.I32) Assert.That(file.ReadAsInt64(entry.Name), Has.Length.EqualTo(entry.ElementCount));
        }
    }

    /// <summary>Mostly damages the length prefix and header, where the validator's work is; sometimes truncates or hits the data.</summary>
    private static byte[] Mutate(byte[] valid, int headerEnd, Random random, out string how)
    {
        byte[] mutant = (byte[])valid.Clone();
        switch (random.Next(10))
        {
            case < 5:
            {
                int at = random.Next(headerEnd);
                int bit = random.Next(8);
                mutant[at] ^= (byte)(1 << bit);
                how = $"flip bit {bit} of byte {at}";
                return mutant;
            }
            case < 7:
            {
                int at = random.Next(headerEnd);
                byte value = (byte)random.Next(256);
                mutant[at] = value;
                how = $"set byte {at} to 0x{value:X2}";
                return mutant;
            }
            case < 9:
            {
                int length = random.Next(valid.Length);
                how = $"truncate to {length} bytes";
                return valid[..length];
            }
            default:
            {
                int at = random.Next(valid.Length);
                mutant[at] = (byte)~mutant[at];
                how = $"invert byte {at}";
                return mutant;
            }
        }
    }
}
