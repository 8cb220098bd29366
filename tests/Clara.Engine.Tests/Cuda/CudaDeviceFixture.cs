using Clara.Engine.Backends.Cuda;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// One CUDA backend for a whole fixture, opened once; each test asks for it with <see cref="RequireDevice"/>, which
/// skips the test with the probe's reason where there is no device (fails it under CLARA_REQUIRE_CUDA=1).
/// </summary>
public abstract class CudaDeviceFixture
{
    private CudaBackend? _gpu;
    private string _reason = "";

    [OneTimeSetUp]
    public void OpenDevice()
    {
        if (CudaBackend.Probe(out _reason)) _gpu = CudaBackend.Create();
    }

    [OneTimeTearDown]
    public void CloseDevice() => _gpu?.Dispose();

    protected CudaBackend RequireDevice()
    {
        if (_gpu is null) CudaRequirement.Missing("no CUDA device", _reason);
        return _gpu!;
    }
}
