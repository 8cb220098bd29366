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
            if ((uint)id >= (uint)vocab) throw new ArgumentException($"{what}: token id {id} is outside the vocabulary of {vocab}");
        return ids;
    }

    /// <summary>Only the tokens the encoder row keeps (<see cref="ClaraModel.EncodeDocument"/>): the rest would be cut anyway.</summary>
    private static int[] TokenizeDocument(ClaraModel model, string text, string what) =>
        model.Tokenizer is null
            ? throw new InvalidOperationException($"{what} is text, but {model.Decoder.Source} has no tokenizer files: pass token ids instead")
            : model.EncodeDocument(text);

    private static int[] Tokenize(ClaraModel model, string text, string what) =>
        model.Tokenizer is null
            ? throw new InvalidOperationException($"{what} is text, but {model.Decoder.Source} has no tokenizer files: pass token ids instead")
            : model.Encode(text);
}

/// <summary>--question TEXT or --question-ids 1,2,3, read before the model is loaded so a mistake costs nothing.</summary>
internal sealed record QuestionArgument(string? Text, int[]? Ids)
{
    public static QuestionArgument Read(CommandArguments a)
    {
        var text = a.Optional("question");
        var ids = a.OptionalIds("question-ids");
        if ((text is null) == (ids is null)) throw new UsageException("give exactly one of --question or --question-ids");
        return new QuestionArgument(text, ids);
    }
}
