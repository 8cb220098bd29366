using Clara.Engine.Backends.Cpu;
using Clara.Engine.Backends.Cuda;
using Clara.Engine.Diagnostics;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// The kernel checks of `clara selftest` run with a second CPU backend (one thread) as the backend under test. No GPU
/// is needed, so every check's own code (operand shapes, argument order, which outputs it compares) is exercised on
/// every machine before the first GPU run; and the CPU twins must agree with themselves across thread counts.
/// </summary>
[NonParallelizable]
public class KernelChecksOnCpuTests
{
    public static IEnumerable<TestCaseData> Checks() =>
        KernelChecks.All.Select((check, i) => new TestCaseData(check.Name, i + 1).SetName($"CheckRunsOnTheCpu({check.Name})"));

    [TestCaseSource(nameof(Checks))]
    public void CheckRunsOnTheCpu(string name, int seed)
    {
        using var device = new CpuBackend(1);
        using var bench = new CheckBench(device, new CpuBackend(2), seed);
        List<KernelCheckResult> results;
        try
        {
            results = KernelChecks.All.Single(c => c.Name == name).Run(bench).ToList();
        }
        catch (NotImplementedException e)
        {
            Assert.Ignore($"the CPU twin is not there yet: {e.Message}");
            return;
        }
        Assert.That(results.Where(r => !r.Passed).Select(r => $"{r.Kernel} {r.Shape}: {r.MaxRelativeError:E3} > {r.Tolerance:E1}"), Is.Empty);
        if (name != "cast") Assert.That(results, Is.Not.Empty);
    }
}
