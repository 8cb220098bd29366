using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine;
using Clara.Engine.Pipeline;

namespace Clara.Cli;

/// <summary>Turns command-line text or ids into token ids for a CLaRa model, and checks them against its vocabulary.</summary>
internal static class ClaraInputs
{
    public static IReadOnlyList<IReadOnlyList<int>> DocumentIds(ClaraModel model, IReadOnlyList<DocumentLine> docs, string path) =>
        docs.Select(d => (IReadOnlyList<int>)Checked(model, d.Ids ?? TokenizeDocument(model, d.Text!, $"{path}: document '{d.Id}'"), $"{path}: document '{d.Id}'")).ToList();

    public static int[] Question(ClaraModel model, QuestionArgument question) =>
        Checked(model, question.Ids ?? Tokenize(model, question.Text!, "--question"), "--question-ids");

    public static int[] Checked(ClaraModel model, int[] ids, string what)
    {
        int vocab = model.Decoder.Config.VocabSize;
        foreach (var id in ids)
            if ((uint)id >= (uint)vocab) throw new InvalidInputException($"{what}: token id {id} is outside the vocabulary of {vocab}");
        return ids;
    }

    /// <summary>Only the tokens the encoder row keeps (<see cref="ClaraModel.EncodeDocument"/>): the rest would be cut anyway.</summary>
    private static int[] TokenizeDocument(ClaraModel model, string text, string what) =>
        model.Tokenizer is null
            ? throw new InvalidInputException($"{what} is text, but {model.Decoder.Source} has no tokenizer files: pass token ids instead")
            : model.EncodeDocument(text);

    private static int[] Tokenize(ClaraModel model, string text, string what) =>
        model.Tokenizer is null
            ? throw new InvalidInputException($"{what} is text, but {model.Decoder.Source} has no tokenizer files: pass token ids instead")
            : model.Encode(text);
}

/// <summary>--question TEXT or --question-ids 1,2,3, exactly one.</summary>
internal sealed class QuestionOptions
{
    public Option<string> Text { get; } = Options.Text("--question", "TEXT", "the question (needs the model's tokenizer)");
    public Option<int[]?> Ids { get; } = Options.TokenIds("--question-ids", "the question as token ids (1,2,3)");

    public Option[] All => [Text, Ids];

    public void AddRulesTo(Command command) =>
        OptionRules.ExactlyOne(command, "give exactly one of --question or --question-ids", Text, Ids);

    public QuestionArgument Read(ParseResult p) => new(p.GetValue(Text), p.GivenValue(Ids));
}

/// <summary>The question as given: its text or its ids.</summary>
internal sealed record QuestionArgument(string? Text, int[]? Ids);
