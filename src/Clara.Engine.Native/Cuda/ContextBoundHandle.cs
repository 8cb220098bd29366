using System.Runtime.InteropServices;

namespace Clara.Engine.Native.Cuda;

/// <summary>
/// A driver object that belongs to a context (memory, module, stream, event, graph). It holds a
/// reference on the context's handle so the context outlives it even when both are finalised together,
/// and frees itself with the context current. After a device fault nothing is freed: the driver would
/// only repeat the sticky error, and the process is about to be restarted anyway.
/// </summary>
public abstract unsafe class ContextBoundHandle : SafeHandle
{
    private readonly bool _contextReferenced;

    protected ContextBoundHandle(CudaContext context, nint value) : base(0, ownsHandle: true)
    {
        Context = context;
        bool added = false;
        context.Handle.DangerousAddRef(ref added);
        _contextReferenced = added;
        SetHandle(value);
    }

    public CudaContext Context { get; }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            if (Context.IsFaulted) return true;
            var api = Context.Driver.Api;
            if (api.cuCtxPushCurrent_v2(Context.Handle.DangerousGetHandle()) != CuResult.Success) return false;
            try
            {
                return Free(api, handle) == CuResult.Success;
            }
            finally
            {
                nint popped;
                api.cuCtxPopCurrent_v2(&popped);
            }
        }
        finally
        {
            if (_contextReferenced) Context.Handle.DangerousRelease();
        }
    }

    /// <summary>Frees the driver object; the context is current.</summary>
    private protected abstract CuResult Free(CudaDriverApi api, nint value);
}
