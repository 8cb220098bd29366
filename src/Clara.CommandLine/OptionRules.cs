using System.CommandLine;

namespace Clara.CommandLine;

/// <summary>Rules between options of one command, checked by the parser with the other parse errors.</summary>
public static class OptionRules
{
    /// <summary>Exactly one of <paramref name="options"/> must be given; <paramref name="message"/> says which they are.</summary>
    public static void ExactlyOne(Command command, string message, params Option[] options) =>
        command.Validators.Add(r =>
        {
            if (options.Count(o => r.GetResult(o) is { Implicit: false }) != 1) r.AddError(message);
        });

    /// <summary>At most one of <paramref name="options"/> may be given.</summary>
    public static void AtMostOne(Command command, string message, params Option[] options) =>
        command.Validators.Add(r =>
        {
            if (options.Count(o => r.GetResult(o) is { Implicit: false }) > 1) r.AddError(message);
        });
}
