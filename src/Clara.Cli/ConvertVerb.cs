using Clara.Convert.Commands;

namespace Clara.Cli;

/// <summary>clara convert: the checkpoint converter (tools/Clara.Convert) parses its own arguments.</summary>
internal sealed class ConvertVerb : ICommand
{
    public string Name => "convert";
    public string Usage => "convert INPUT... (--out FILE | --to-dir DIR) [--dtype bf16|f32|f16] [--dry-run] | convert verify FILE | convert diff A B";
    public string Summary => "convert HF/PEFT/torch.save/CLaRa-release checkpoints to the engine-native file or a CLaRa directory; verify and diff converted files";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr) => ConvertCommand.Run(args, stdout, stderr);
}
