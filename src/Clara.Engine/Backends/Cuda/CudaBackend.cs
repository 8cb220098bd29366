using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Native.Nvrtc;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>How MatMul multiplies an F32 input by 16-bit (BF16/F16) weights; cuBLAS needs both operands of one type.</summary>
public enum CudaMatMulPrecision
{
    /// <summary>
    /// The weight is widened to fp32 in a scratch buffer and the product is an fp32 SGEMM: the
    /// <see cref="IKernels"/> contract, matching the CPU backend to fp32 rounding. Costs a weight-sized
    /// conversion per call and fp32 (not tensor-core) arithmetic.
    /// </summary>
    Fp32,

    /// <summary>
    /// The fp32 input is rounded to the weight's 16-bit type and multiplied on tensor cores with fp32
    /// accumulation — what a bf16 PyTorch model does; about 2^-9 relative error per product. Several
    /// times faster.
    /// </summary>
    TensorCore16Bit,
}

/// <summary>Choices that trade speed for agreement with the CPU backend.</summary>
public sealed record CudaBackendOptions
{
    public CudaMatMulPrecision MatMulPrecision { get; init; } = CudaMatMulPrecision.Fp32;

    /// <summary>Where compiled kernels are cached; null uses <see cref="KernelCache.Default"/>.</summary>
    public KernelCache? KernelCache { get; init; }
}

/// <summary>
/// The CUDA backend: one device's primary context, one stream on which all work is queued in order,
/// kernels compiled by NVRTC on first use, products through cuBLAS. Errors from queued work — including
/// index operands found out of range by a kernel (an <see cref="ArgumentOutOfRangeException"/>) — surface
/// at <see cref="Synchronize"/> and <see cref="Download"/>, not at the call that queued the work.
/// </summary>
public sealed class CudaBackend : IBackend
{
    private readonly CudaContext _context;
    private readonly CudaStream _stream;
    private readonly KernelModules _modules;
    private readonly CudaFaultFlags _faults;
    private readonly CublasHandle _blas;
    private readonly CudaKernels _kernels;

    private CudaBackend(CudaDevice device, CudaContext context, KernelCompiler compiler, CudaBackendOptions options)
    {
        Device = device;
        _context = context;
        _stream = context.CreateStream();
        _modules = new KernelModules(context, compiler, device.ComputeCapability);
        _faults = new CudaFaultFlags(context, _stream);
        _blas = CublasHandle.Create(context, _stream);
        var launcher = new KernelLauncher(this, _stream, _modules, _faults, device.MultiprocessorCount,
            device.GetAttribute(CudaDeviceAttribute.MaxSharedMemoryPerBlockOptin));
        _kernels = new CudaKernels(launcher, _blas, context, options.MatMulPrecision);
    }

    /// <summary>
    /// Opens device <paramref name="ordinal"/>. Throws with the loader's, the driver's or NVRTC's message
    /// when the machine has no usable CUDA (see <see cref="Probe"/> to ask without throwing).
    /// </summary>
    public static CudaBackend Create(int ordinal = 0, CudaBackendOptions? options = null)
    {
        options ??= new CudaBackendOptions();
        var driver = CudaDriver.Instance;
        if (driver.DeviceCount == 0) throw new InvalidOperationException("the CUDA driver reports no devices");
        var device = driver.GetDevice(ordinal);
        var compiler = new KernelCompiler(NvrtcCompiler.Instance, options.KernelCache ?? KernelCache.Default());
        var context = CudaContext.RetainPrimary(device);
        try
        {
            return new CudaBackend(device, context, compiler, options);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Whether a CUDA backend can be created here, and if not, why (every library's loader message).</summary>
    public static bool Probe(out string reason)
    {
        var driver = CudaDriver.TryGet(out var driverReason);
        if (driver is null) { reason = driverReason; return false; }
        if (driver.DeviceCount == 0) { reason = $"the CUDA driver ({driver.Library.FileName}, version {driver.Version}) reports no devices"; return false; }
        if (NvrtcCompiler.TryGet(out var nvrtcReason) is null) { reason = nvrtcReason; return false; }
        try
        {
            CublasLibrary.Load();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = e.Message;
            return false;
        }
        reason = "";
        return true;
    }

    public CudaDevice Device { get; }
    public string Name => $"cuda:{Device.Ordinal}";
    public IKernels Kernels => _kernels;

    /// <summary>The kernels with the CUDA-only extras (per-call matmul precision, storage casts).</summary>
    internal CudaKernels CudaKernels => _kernels;

    /// <summary>The stream all of this backend's work is queued on (for timing with events, graph capture).</summary>
    public CudaStream Stream => _stream;

    public CudaContext Context => _context;

    /// <summary>The loaded cuBLAS's version (cublasGetVersion, e.g. 130000 for 13.0.0).</summary>
    public int CublasVersion => _blas.Version;

    /// <summary>Allocates device memory, zero-filled like the CPU backend's buffers.</summary>
    public DeviceBuffer Allocate(long byteLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteLength);
        var memory = _context.Allocate(Math.Max(1, byteLength));
        _stream.Fill(memory.Pointer, 0, memory.ByteLength);
        return new CudaBuffer(this, memory, byteLength);
    }

    /// <summary>The kernels read device memory only: weights are uploaded.</summary>
    public DeviceBuffer? TryWrapHostMemory(nint address, long byteLength, IDisposable? keepAlive) => null;

    public void Upload(ReadOnlySpan<byte> source, Tensor destination)
    {
        if (source.Length != destination.ByteLength)
            throw new ArgumentException($"{source.Length} bytes do not fill {destination}");
        _stream.CopyToDevice(source, CudaTensor.Pointer(destination, this, "upload destination"));
    }

    public void Download(Tensor source, Span<byte> destination)
    {
        if (destination.Length != source.ByteLength)
            throw new ArgumentException($"{destination.Length} bytes do not hold {source}");
        _stream.CopyToHost(CudaTensor.Pointer(source, this, "download source"), destination);
        _faults.ThrowIfRaised();
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> on the device (same byte size).</summary>
    public void Copy(Tensor source, Tensor destination)
    {
        if (source.ByteLength != destination.ByteLength)
            throw new ArgumentException($"cannot copy {source} into {destination}: sizes differ");
        _stream.CopyDeviceToDevice(CudaTensor.Pointer(source, this, "copy source"), CudaTensor.Pointer(destination, this, "copy destination"), source.ByteLength);
    }

    /// <summary>
    /// Records the work <paramref name="record"/> queues on this backend as a CUDA graph, to be replayed with
    /// <see cref="Replay"/> at the cost of one launch. Run the same work once before capturing: a first
    /// launch compiles kernels and sizes scratch buffers, which is not allowed while capturing. Uploads and
    /// downloads cannot be captured.
    /// </summary>
    public CudaGraphExec Capture(Action record)
    {
        _stream.BeginCapture();
        try
        {
            record();
        }
        catch
        {
            // End the capture so the stream is usable again; the partial graph is discarded.
            try { _stream.EndCapture().Dispose(); } catch (CudaException) { }
            throw;
        }
        return _stream.EndCapture();
    }

    public void Replay(CudaGraphExec graph) => graph.Launch(_stream);

    public void Synchronize()
    {
        _stream.Synchronize();
        _faults.ThrowIfRaised();
    }

    public void Dispose()
    {
        _kernels.Dispose();
        _blas.Dispose();
        _faults.Dispose();
        _modules.Dispose();
        _stream.Dispose();
        _context.Dispose();
    }

    public override string ToString() => $"{Name} ({Device.Name}, sm_{Device.ComputeCapability})";
}
