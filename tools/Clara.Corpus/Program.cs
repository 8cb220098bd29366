using System.CommandLine;
using Clara.CommandLine;
using Clara.Corpus;

var root = new RootCommand("clara-corpus: the default model's data (a seeded fictional-entity corpus) and its initial CLaRa directory")
{
    GenerateCommand.Create(),
    MakeModelCommand.Create(),
    TemplatesCommand.Create(),
};
if (args.Length == 0)
{
    root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = Console.Error });
    return ExitCodes.Usage;
}
return CommandLineRunner.Run(root, "clara-corpus", args, Console.Out, Console.Error);
