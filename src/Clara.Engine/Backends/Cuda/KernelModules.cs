using Clara.Engine.Native.Cuda;
using Clara.Engine.Native.Nvrtc;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// The kernel files of one context, compiled and loaded on first use, and their entry points. A
/// cached image the driver rejects (truncated, from another toolkit) is dropped and compiled afresh.
/// </summary>
internal sealed class KernelModules(CudaContext context, KernelCompiler compiler, int architecture) : IDisposable
{
    private readonly Dictionary<string, CudaModule> _modules = [];
    private readonly Dictionary<string, CudaFunction> _functions = [];
    private readonly Lock _lock = new();

    public KernelCompiler Compiler => compiler;
    public int Architecture => architecture;

    /// <summary>The entry point <paramref name="entryPoint"/> of kernels/<paramref name="fileName"/>.</summary>
    public CudaFunction Function(string fileName, string entryPoint)
    {
        string key = fileName + ":" + entryPoint;
        lock (_lock)
        {
            if (_functions.TryGetValue(key, out var function)) return function;
            function = Module(fileName).GetFunction(entryPoint);
            _functions.Add(key, function);
            return function;
        }
    }

    private CudaModule Module(string fileName)
    {
        if (_modules.TryGetValue(fileName, out var module)) return module;
        var source = KernelSources.Get(fileName);
        var compiled = compiler.Compile(source, architecture);
        try
        {
            module = context.LoadModule(compiled.Image, fileName);
        }
        catch (CudaException e) when (compiled.FromCache && e.Result is CuResult.InvalidImage or CuResult.InvalidPtx
                                          or CuResult.NoBinaryForGpu or CuResult.UnsupportedPtxVersion)
        {
            compiler.Forget(source, compiled.Kind, compiled.Architecture);
            compiled = compiler.Compile(source, architecture);
            module = context.LoadModule(compiled.Image, fileName);
        }
        _modules.Add(fileName, module);
        return module;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var module in _modules.Values) module.Dispose();
            _modules.Clear();
            _functions.Clear();
        }
    }
}
