using System.Text;

namespace Clara.Engine.Native.Cuda;

/// <summary>A loaded CUBIN/PTX module; its functions live as long as it does.</summary>
public sealed unsafe class CudaModule : ContextBoundHandle
{
    internal CudaModule(CudaContext context, nint module, string name) : base(context, module)
    {
        Name = name;
    }

    /// <summary>Where the module came from (the kernel file), for error messages.</summary>
    public string Name { get; }

    /// <summary>The extern "C" kernel <paramref name="entryPoint"/>; throws naming the module when it is absent.</summary>
    public CudaFunction GetFunction(string entryPoint)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        int length = Encoding.UTF8.GetByteCount(entryPoint);
        Span<byte> name = length < 256 ? stackalloc byte[length + 1] : new byte[length + 1];
        Encoding.UTF8.GetBytes(entryPoint, name);
        name[length] = 0;
        using var scope = Context.Enter();
        nint function;
        CuResult result;
        fixed (byte* text = name)
            result = Context.Api("cuModuleGetFunction").cuModuleGetFunction(&function, handle, text);
        if (result == CuResult.NotFound)
            throw new CudaException("cuModuleGetFunction", result, $"kernel '{entryPoint}' not found in module {Name}");
        Context.Check(result, "cuModuleGetFunction");
        return new CudaFunction(this, function, entryPoint);
    }

    private protected override CuResult Free(CudaDriverApi api, nint value) => api.cuModuleUnload(value);

    public override string ToString() => $"module {Name}";
}

/// <summary>A kernel entry point. Keeps its module alive.</summary>
public sealed unsafe class CudaFunction
{
    internal CudaFunction(CudaModule module, nint handle, string name)
    {
        Module = module;
        Handle = handle;
        Name = name;
    }

    public CudaModule Module { get; }
    internal nint Handle { get; }
    public string Name { get; }

    public int GetAttribute(CudaFunctionAttribute attribute)
    {
        var context = Module.Context;
        using var scope = context.Enter();
        int value;
        context.Check(context.Api("cuFuncGetAttribute").cuFuncGetAttribute(&value, attribute, Handle), "cuFuncGetAttribute");
        return value;
    }

    /// <summary>Allows launches with more than the default 48 KiB of dynamic shared memory.</summary>
    public void SetMaxDynamicSharedMemory(int bytes)
    {
        var context = Module.Context;
        using var scope = context.Enter();
        context.Check(context.Api("cuFuncSetAttribute").cuFuncSetAttribute(Handle, CudaFunctionAttribute.MaxDynamicSharedSizeBytes, bytes), "cuFuncSetAttribute");
    }

    public override string ToString() => $"{Name} in {Module.Name}";
}
