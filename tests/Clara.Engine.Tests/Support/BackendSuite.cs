using Clara.Engine.Backends;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Support;

/// <summary>
/// Base of every backend-parameterised suite: one backend per fixture. A CUDA instantiation's CreateBackend calls
/// Assert.Ignore with the reason when no device is present, so its tests skip and say why.
/// </summary>
public abstract class BackendSuite
{
    protected IBackend Backend { get; private set; } = null!;

    protected abstract IBackend CreateBackend();

    [OneTimeSetUp]
    public void CreateBackendOnce() => Backend = CreateBackend();

    [OneTimeTearDown]
    public void DisposeBackend() => Backend?.Dispose();

    /// <summary>Uploads host values as a fresh F32 tensor; the buffer is freed with the suite's scope list.</summary>
    protected Tensor Floats(float[] values, params int[] dims) => Track(Tensor.FromFloats(Backend, values, dims));

    protected Tensor Ints(int[] values, params int[] dims) => Track(Tensor.FromInts(Backend, values, dims));

    protected Tensor Zeros(params int[] dims) => Track(Tensor.Allocate(Backend, new Tensors.Shape(dims), Tensors.DType.F32));

    private readonly List<Tensor> _tracked = [];

    private Tensor Track(Tensor t)
    {
        _tracked.Add(t);
        return t;
    }

    [TearDown]
    public void FreeTracked()
    {
        foreach (var t in _tracked) t.Buffer.Dispose();
        _tracked.Clear();
    }
}
