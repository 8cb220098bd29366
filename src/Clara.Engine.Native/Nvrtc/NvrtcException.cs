namespace Clara.Engine.Native.Nvrtc;

/// <summary>An NVRTC call failed. For a failed compilation <see cref="Log"/> holds the compiler's messages.</summary>
public sealed class NvrtcException : Exception
{
    public NvrtcException(string call, NvrtcResult result, string resultName, string program, string log)
        : base(Describe(call, result, resultName, program, log))
    {
        Call = call;
        Result = result;
        Program = program;
        Log = log;
    }

    public string Call { get; }
    public NvrtcResult Result { get; }
    public string Program { get; }
    public string Log { get; }

    private static string Describe(string call, NvrtcResult result, string resultName, string program, string log) =>
        string.IsNullOrWhiteSpace(log)
            ? $"{call} failed for {program}: {resultName} ({(int)result})"
            : $"{call} failed for {program}: {resultName} ({(int)result})\n{log.TrimEnd()}";
}
