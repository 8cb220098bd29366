namespace Clara.Cli;

public static class ClaraCommandLine
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("clara: no command yet");
        return 2;
    }
}
