using System.Text;
using System.Text.RegularExpressions;
using Clara.Engine.Backends.Cuda;
using Clara.Engine.Native.Nvrtc;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// Every kernels/*.cu file compiles with the installed NVRTC, without warnings, to machine code for the
/// A100 (sm_80) and H100/H200 (sm_90) generations, and emits exactly the entry points the launchers use.
/// </summary>
public partial class KernelCompilationTests
{
    private static readonly int[] Architectures = [80, 90];

    public static IEnumerable<TestCaseData> Files() =>
        from file in KernelSources.FileNames
        from arch in Architectures
        select new TestCaseData(file, arch).SetName($"Compiles({file}, sm_{arch})");

    [TestCaseSource(nameof(Files))]
    public void Compiles(string file, int architecture)
    {
        var compiler = new KernelCompiler(NvrtcRequirement.Require(), new KernelCache(null));
        var source = KernelSources.Get(file);

        var cubin = Compile(compiler, source, NvrtcOutputKind.Cubin, architecture);
        Assert.That(cubin.Image.AsSpan(0, 4).ToArray(), Is.EqualTo("\u007fELF"u8.ToArray()), "a CUBIN is an ELF image");

        var ptx = Compile(compiler, source, NvrtcOutputKind.Ptx, architecture);
        var text = Encoding.ASCII.GetString(ptx.Image).TrimEnd('\0');
        Assert.That(text, Does.Contain($".target sm_{architecture}"));
        var entries = EntryPattern().Matches(text).Select(m => m.Groups[1].Value).Order().ToArray();
        Assert.That(entries, Is.EqualTo(KernelEntryPoints.ByFile[file].Order().ToArray()),
            $"{file}: the entry points in the PTX differ from KernelEntryPoints.ByFile");
    }

    /// <summary>The kernel families the engine ships; a file dropped from the embedded resources must fail here.</summary>
    private static readonly string[] Families = ["adamw.cu", "attention.cu", "attention_training.cu", "cast.cu", "cosine_rerank.cu", "elementwise.cu", "embedding.cu", "memory_tokens.cu", "q8_gemv.cu", "reduction.cu", "rmsnorm.cu", "rope.cu", "softmax_xent.cu", "swiglu.cu", "topk_straight_through.cu"];

    [Test]
    public void EveryKernelFileIsEmbeddedCataloguedAndDocumented()
    {
        Assert.That(KernelSources.FileNames, Is.EquivalentTo(Families), "embedded .cu files vs the families the engine ships");
        Assert.That(KernelSources.FileNames, Is.EquivalentTo(KernelEntryPoints.ByFile.Keys), "embedded .cu files vs the catalogue");
        foreach (var file in KernelSources.FileNames)
            Assert.That(KernelSources.Get(file).Text, Does.StartWith($"// {file} — "), $"{file} opens with its header comment");
    }

    [Test]
    public void AKernelWithAnErrorFailsWithTheCompilerLog()
    {
        var compiler = new KernelCompiler(NvrtcRequirement.Require(), new KernelCache(null));
        var broken = new KernelSource("broken.cu", "#include \"clara_prelude.cuh\"\nextern \"C\" __global__ void k(float* x) { x[0] = undefined_name; }\n");

        var ex = Assert.Throws<NvrtcException>(() => compiler.Compile(broken, NvrtcOutputKind.Cubin, 90, useCache: false));

        Assert.That(ex!.Message, Does.Contain("nvrtcCompileProgram failed for broken.cu"));
        Assert.That(ex.Log, Does.Contain("undefined_name"), "the exception carries NVRTC's log");
    }

    [Test]
    public void ANewerGpuThanNvrtcKnowsGetsPtxForTheNewestKnownArchitecture()
    {
        var nvrtc = NvrtcRequirement.Require();
        var compiler = new KernelCompiler(nvrtc, new KernelCache(null));
        int newest = nvrtc.SupportedArchitectures.Max();

        Assert.That(compiler.TargetFor(newest), Is.EqualTo((NvrtcOutputKind.Cubin, newest)));
        Assert.That(compiler.TargetFor(newest + 7), Is.EqualTo((NvrtcOutputKind.Ptx, newest)));
        Assert.Throws<NotSupportedException>(() => compiler.TargetFor(nvrtc.SupportedArchitectures.Min() - 1));
    }

    private static CompiledKernel Compile(KernelCompiler compiler, KernelSource source, NvrtcOutputKind kind, int architecture)
    {
        CompiledKernel result;
        try
        {
            result = compiler.Compile(source, kind, architecture, useCache: false);
        }
        catch (NvrtcException e)
        {
            Assert.Fail($"{source.FileName} does not compile for {kind} {architecture}:\n{e.Log}");
            throw;
        }
        Assert.That(result.Log, Is.Empty, $"{source.FileName} ({kind} {architecture}) compiles with warnings");
        Assert.That(result.Image, Is.Not.Empty);
        return result;
    }

    [GeneratedRegex(@"\.entry\s+(\w+)\s*\(")]
    private static partial Regex EntryPattern();
}
