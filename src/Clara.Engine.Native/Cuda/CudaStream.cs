namespace Clara.Engine.Native.Cuda;

/// <summary>
/// A queue of device work: kernel launches and copies run in the order they are enqueued. Everything
/// asynchronous reports its errors later, at a synchronisation point, which is where a sticky error
/// from a kernel surfaces and faults the device.
/// </summary>
public sealed unsafe class CudaStream : ContextBoundHandle
{
    internal CudaStream(CudaContext context, nint stream) : base(context, stream) { }

    /// <summary>The raw CUstream, for libraries that take one (cuBLAS).</summary>
    public nint RawHandle
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }

    public void Launch(CudaFunction function, LaunchShape shape, in KernelArguments arguments)
    {
        shape.Validate(function.Name);
        Span<nint> pointers = stackalloc nint[KernelArguments.Capacity];
        arguments.PointTo(pointers);
        using var scope = Context.Enter();
        fixed (nint* parameters = pointers)
        {
            Context.Check(Context.Api("cuLaunchKernel").cuLaunchKernel(function.Handle,
                shape.Grid.X, shape.Grid.Y, shape.Grid.Z, shape.Block.X, shape.Block.Y, shape.Block.Z,
                (uint)shape.SharedBytes, RawHandle, (void**)parameters, null), "cuLaunchKernel");
        }
    }

    /// <summary>Enqueues a host→device copy. Returns once <paramref name="source"/> may be reused (pageable memory is staged).</summary>
    public void CopyToDevice(ReadOnlySpan<byte> source, DevicePointer destination)
    {
        if (source.IsEmpty) return;
        using var scope = Context.Enter();
        fixed (byte* data = source)
            Context.Check(Context.Api("cuMemcpyHtoDAsync_v2").cuMemcpyHtoDAsync_v2(destination.Address, data, (nuint)source.Length, RawHandle), "cuMemcpyHtoDAsync_v2");
    }

    /// <summary>Copies device memory into <paramref name="destination"/> and waits for the stream, so the bytes are there on return.</summary>
    public void CopyToHost(DevicePointer source, Span<byte> destination)
    {
        if (destination.IsEmpty) return;
        using var scope = Context.Enter();
        fixed (byte* data = destination)
        {
            Context.Check(Context.Api("cuMemcpyDtoHAsync_v2").cuMemcpyDtoHAsync_v2(data, source.Address, (nuint)destination.Length, RawHandle), "cuMemcpyDtoHAsync_v2");
            Context.Check(Context.Api("cuStreamSynchronize").cuStreamSynchronize(RawHandle), "cuStreamSynchronize");
        }
    }

    public void CopyDeviceToDevice(DevicePointer source, DevicePointer destination, long bytes)
    {
        if (bytes == 0) return;
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        using var scope = Context.Enter();
        Context.Check(Context.Api("cuMemcpyDtoDAsync_v2").cuMemcpyDtoDAsync_v2(destination.Address, source.Address, (nuint)bytes, RawHandle), "cuMemcpyDtoDAsync_v2");
    }

    public void Fill(DevicePointer destination, byte value, long bytes)
    {
        if (bytes == 0) return;
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        using var scope = Context.Enter();
        Context.Check(Context.Api("cuMemsetD8Async").cuMemsetD8Async(destination.Address, value, (nuint)bytes, RawHandle), "cuMemsetD8Async");
    }

    public void Synchronize()
    {
        using var scope = Context.Enter();
        Context.Check(Context.Api("cuStreamSynchronize").cuStreamSynchronize(RawHandle), "cuStreamSynchronize");
    }

    /// <summary>Starts recording this stream's work into a graph instead of running it (see <see cref="EndCapture"/>).</summary>
    public void BeginCapture(StreamCaptureMode mode = StreamCaptureMode.ThreadLocal)
    {
        using var scope = Context.Enter();
        Context.Check(Context.Api("cuStreamBeginCapture_v2").cuStreamBeginCapture_v2(RawHandle, mode), "cuStreamBeginCapture_v2");
    }

    /// <summary>Ends a capture and instantiates the recorded work as a graph that can be replayed on any stream.</summary>
    public CudaGraphExec EndCapture()
    {
        using var scope = Context.Enter();
        nint graph;
        Context.Check(Context.Api("cuStreamEndCapture").cuStreamEndCapture(RawHandle, &graph), "cuStreamEndCapture");
        nint exec;
        CuResult instantiated = Context.Api("cuGraphInstantiateWithFlags").cuGraphInstantiateWithFlags(&exec, graph, 0);
        // The executable graph is a copy; the template is not needed once instantiated (or on failure).
        CuResult destroyed = Context.Driver.Api.cuGraphDestroy(graph);
        Context.Check(instantiated, "cuGraphInstantiateWithFlags");
        var result = new CudaGraphExec(Context, exec);
        Context.Check(destroyed, "cuGraphDestroy");
        return result;
    }

    private protected override CuResult Free(CudaDriverApi api, nint value) => api.cuStreamDestroy_v2(value);
}

/// <summary>An instantiated CUDA graph: a recorded sequence of launches replayed with one call.</summary>
public sealed unsafe class CudaGraphExec : ContextBoundHandle
{
    internal CudaGraphExec(CudaContext context, nint exec) : base(context, exec) { }

    public void Launch(CudaStream stream)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        using var scope = Context.Enter();
        Context.Check(Context.Api("cuGraphLaunch").cuGraphLaunch(handle, stream.RawHandle), "cuGraphLaunch");
    }

    private protected override CuResult Free(CudaDriverApi api, nint value) => api.cuGraphExecDestroy(value);
}

/// <summary>A marker in a stream, for ordering and timing.</summary>
public sealed unsafe class CudaEvent : ContextBoundHandle
{
    internal CudaEvent(CudaContext context, nint @event) : base(context, @event) { }

    public void Record(CudaStream stream)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        using var scope = Context.Enter();
        Context.Check(Context.Api("cuEventRecord").cuEventRecord(handle, stream.RawHandle), "cuEventRecord");
    }

    public void Synchronize()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        using var scope = Context.Enter();
        Context.Check(Context.Api("cuEventSynchronize").cuEventSynchronize(handle), "cuEventSynchronize");
    }

    /// <summary>Milliseconds between two recorded timing events; waits for <paramref name="end"/>.</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        end.Synchronize();
        var context = start.Context;
        using var scope = context.Enter();
        float milliseconds;
        context.Check(context.Api("cuEventElapsedTime").cuEventElapsedTime(&milliseconds, start.handle, end.handle), "cuEventElapsedTime");
        return milliseconds;
    }

    private protected override CuResult Free(CudaDriverApi api, nint value) => api.cuEventDestroy_v2(value);
}
