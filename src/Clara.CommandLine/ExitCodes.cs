using Clara.Engine;
using Clara.Engine.Documents;
using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Native.Loading;
using Clara.Engine.Native.Nvrtc;

namespace Clara.CommandLine;

/// <summary>
/// The exit codes of every program in the repository, and which failure gets which: the one place that decides
/// whether an exception is the user's mistake or ours.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A file, field, shape or value the user gave is wrong; the message names it.</summary>
    public const int BadInput = 1;

    /// <summary>The command line itself is wrong: an unknown option, a stray word, a missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>The GPU stack: no driver, a missing library, a CUDA, cuBLAS or NVRTC error.</summary>
    public const int GpuStack = 3;

    /// <summary>A bug in the program (EX_SOFTWARE of sysexits.h): reported with its stack trace.</summary>
    public const int Internal = 70;

    /// <summary>Stopped by Ctrl-C (128 + SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>
    /// The code for an exception that ended a command. Only exceptions that mean "the input is wrong" are bad input:
    /// an <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/> is an engine contract broken
    /// by the engine's own caller, so it is <see cref="Internal"/>.
    /// </summary>
    public static int For(Exception e) => e switch
    {
        UsageException => Usage,
        DllNotFoundException or EntryPointNotFoundException or MissingNativeExportException
            or CudaException or NvrtcException or CublasException => GpuStack,
        // NotSupportedException: the engine's refusal of a format or feature it does not handle (a dtype, a pickle
        // opcode, a tokenizer type), which comes from the input, not from a broken contract.
        InvalidInputException or IOException or InvalidDataException or UnauthorizedAccessException or FormatException
            or System.Text.Json.JsonException or MemoryFingerprintMismatchException or NotSupportedException => BadInput,
        _ => Internal,
    };
}
