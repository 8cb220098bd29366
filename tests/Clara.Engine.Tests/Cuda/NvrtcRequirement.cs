using Clara.Engine.Native.Nvrtc;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// NVRTC for the compile tests. Without it they are skipped, unless CLARA_REQUIRE_NVRTC=1 (set by CI,
/// which installs NVRTC), in which case a missing NVRTC is a failure rather than a silent skip.
/// </summary>
internal static class NvrtcRequirement
{
    public static NvrtcCompiler Require()
    {
        var nvrtc = NvrtcCompiler.TryGet(out var reason);
        if (nvrtc is not null) return nvrtc;
        string message = $"NVRTC cannot be loaded: {reason}";
        if (Environment.GetEnvironmentVariable("CLARA_REQUIRE_NVRTC") == "1")
            Assert.Fail(message + "\n(CLARA_REQUIRE_NVRTC=1 turns this skip into a failure)");
        Assert.Ignore(message);
        return null!;
    }
}
