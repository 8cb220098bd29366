namespace Clara.Engine.Tests.Support;

/// <summary>Runs the `clara` program in process, as a user would from a shell, capturing its exit code and both streams.</summary>
internal static class ClaraCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = global::Clara.Cli.ClaraCommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
