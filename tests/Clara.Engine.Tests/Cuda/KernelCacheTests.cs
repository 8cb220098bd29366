using Clara.Engine.Backends.Cuda;
using Clara.Engine.Native.Nvrtc;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>The on-disk kernel cache: hits return the same image, anything that changes the image changes the key.</summary>
public class KernelCacheTests
{
    private string _directory = "";

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("clara-kernel-cache-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void TheSecondCompileIsServedFromDisk()
    {
        var compiler = new KernelCompiler(NvrtcRequirement.Require(), new KernelCache(_directory));
        var source = KernelSources.Get("elementwise.cu");

        var first = compiler.Compile(source, NvrtcOutputKind.Cubin, 90);
        var second = compiler.Compile(source, NvrtcOutputKind.Cubin, 90);

        Assert.That(first.FromCache, Is.False);
        Assert.That(second.FromCache, Is.True);
        Assert.That(second.Image, Is.EqualTo(first.Image));
        Assert.That(Directory.GetFiles(_directory).Select(Path.GetFileName), Has.One.Match(@"^elementwise-sm_90-[0-9a-f]{16}\.cubin$"));
    }

    [Test]
    public void AForgottenImageIsCompiledAgain()
    {
        var compiler = new KernelCompiler(NvrtcRequirement.Require(), new KernelCache(_directory));
        var source = KernelSources.Get("elementwise.cu");
        compiler.Compile(source, NvrtcOutputKind.Ptx, 80);

        compiler.Forget(source, NvrtcOutputKind.Ptx, 80);

        Assert.That(Directory.GetFiles(_directory), Is.Empty);
        Assert.That(compiler.Compile(source, NvrtcOutputKind.Ptx, 80).FromCache, Is.False);
    }

    [Test]
    public void TheKeyCoversSourceHeadersOptionsVersionKindAndArchitecture()
    {
        var source = new KernelSource("k.cu", "extern \"C\" __global__ void k() {}");
        var headers = new[] { new NvrtcHeader("h.cuh", "#pragma once") };
        string[] options = ["-std=c++17"];
        var version = new Version(11, 8);
        string key = KernelCache.Key(source, headers, options, version, NvrtcOutputKind.Cubin, 90);

        Assert.That(KernelCache.Key(source, headers, options, version, NvrtcOutputKind.Cubin, 90), Is.EqualTo(key), "deterministic");
        Assert.That(new[]
        {
            KernelCache.Key(source with { Text = source.Text + " " }, headers, options, version, NvrtcOutputKind.Cubin, 90),
            KernelCache.Key(source, [new NvrtcHeader("h.cuh", "#pragma once\n")], options, version, NvrtcOutputKind.Cubin, 90),
            KernelCache.Key(source, headers, ["-std=c++14"], version, NvrtcOutputKind.Cubin, 90),
            KernelCache.Key(source, headers, options, new Version(13, 0), NvrtcOutputKind.Cubin, 90),
            KernelCache.Key(source, headers, options, version, NvrtcOutputKind.Ptx, 90),
            KernelCache.Key(source, headers, options, version, NvrtcOutputKind.Cubin, 80),
        }, Has.None.EqualTo(key));
    }

    [Test]
    public void AnUnwritableCacheOnlyCostsTime()
    {
        var blocker = Path.Combine(_directory, "not-a-directory");
        File.WriteAllText(blocker, "");
        var compiler = new KernelCompiler(NvrtcRequirement.Require(), new KernelCache(Path.Combine(blocker, "kernels")));

        var compiled = compiler.Compile(KernelSources.Get("elementwise.cu"), NvrtcOutputKind.Cubin, 80);

        Assert.That(compiled.Image, Is.Not.Empty);
        Assert.That(compiled.FromCache, Is.False);
    }
}
