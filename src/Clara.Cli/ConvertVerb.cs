using System.CommandLine;
using Clara.Convert.Commands;

namespace Clara.Cli;

/// <summary>clara convert: the checkpoint converter's command tree (tools/Clara.Convert), under the clara root.</summary>
internal sealed class ConvertVerb : ICommand
{
    public Command Create() => ConvertCommand.Create();
}
