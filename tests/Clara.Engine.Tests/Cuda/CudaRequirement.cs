using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// A CUDA device for the CUDA suites. Without one they are skipped with the loader's reason, unless
/// CLARA_REQUIRE_CUDA=1 (set by the GPU check), in which case the missing device is a failure: a run on
/// a GPU machine must not go green because every CUDA test skipped.
/// </summary>
internal static class CudaRequirement
{
    public const string Variable = "CLARA_REQUIRE_CUDA";

    /// <summary>Whether CLARA_REQUIRE_CUDA=1 in this process.</summary>
    public static bool IsRequired => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>What to do about a missing device: the message, and whether it is a failure rather than a skip.</summary>
    public static (string Message, bool Fail) Outcome(string what, string reason, bool required) => required
        ? ($"{what}: {reason}\n({Variable}=1 turns this skip into a failure)", true)
        : ($"{what}: {reason}", false);

    /// <summary>Skips the test, or fails it under CLARA_REQUIRE_CUDA=1; never returns.</summary>
    public static void Missing(string what, string reason)
    {
        var (message, fail) = Outcome(what, reason, IsRequired);
        if (fail) Assert.Fail(message);
        Assert.Ignore(message);
    }
}
