using System.Text.Json;
using Clara.Engine.Pipeline;
using Clara.Engine.Tokenization.Streaming;

namespace Clara.Cli;

/// <summary>clara ask (spec §9): compress, rerank, select top-k and answer from the selected memory.</summary>
internal sealed class AskCommand : ICommand
{
    public string Name => "ask";
    public string Usage =>
        "ask --model DIR (--docs FILE.jsonl | --store PATH|postgres://…) (--question TEXT | --question-ids ..) [--prompt-ids ..] [--k K] [--temperature T]\n" +
        "      [--max-new-tokens N] [--sample-temperature T --top-p P --seed S] [--json] [--device cpu|cuda[:N]] [--threads N]";
    public string Summary => "answer a question from the top-k compressed documents; streams the answer, or prints one JSON object with --json";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string> { "json" });
        var modelPath = a.Required("model");
        var candidates = Candidates.Read(a);
        bool json = a.Flag("json");
        int? k = a.OptionalInt("k");
        float? temperature = a.OptionalFloat("temperature");
        if (temperature is < 0) throw new UsageException($"--temperature must be ≥ 0, got {temperature}");
        if (k is <= 0) throw new UsageException($"--k must be positive, got {k}");
        var options = new GenerationOptions
        {
            MaxNewTokens = a.OptionalInt("max-new-tokens") ?? 128,
            Temperature = a.OptionalFloat("sample-temperature") ?? 0f,
            TopP = a.OptionalFloat("top-p") ?? 1f,
            Seed = a.OptionalInt("seed"),
        };
        var questionArgument = QuestionArgument.Read(a);
        var promptArgument = a.OptionalIds("prompt-ids");
        ValidateOptions(options);
        using var backend = a.Backend();
        a.RejectUnknown();

        candidates.Prepare();
        using var model = ClaraModel.Load(modelPath, backend);
        var question = ClaraInputs.Question(model, questionArgument);
        // A text question goes into the prompt as text, as the reference renders and tokenizes the whole chat turn.
        var promptIds = promptArgument is { } p ? ClaraInputs.Checked(model, p, "--prompt-ids")
            : questionArgument.Text is { } text ? model.BuildPrompt(text, k ?? model.Config.TopK) : null;

        var (ids, documents) = candidates.Load(model);
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            var streamer = new AnswerStreamer(model, stdout);
            Action<int, int>? stream = json ? null : (_, token) => streamer.Add(token);
            if (!json) stdout.Write(model.Tokenizer is null ? "answer ids: " : "answer: ");
            var answer = model.Ask(question, documents, options, k, promptIds, temperature, stream, cancel.Token);
            if (json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(new AskJson(answer.AnswerIds, model.Decode(answer.AnswerIds), answer.TopK,
                    answer.TopK.Select(i => ids[i]).ToArray(), answer.Scores), CliJson.Default.AskJson));
            }
            else
            {
                streamer.Finish();
                stdout.WriteLine($"documents: {string.Join(", ", answer.TopK.Select(i => $"{ids[i]} ({answer.Scores[i]:F4})"))}");
            }
            return 0;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("clara ask: cancelled");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    // The options come from the command line, so a bad value is a usage mistake, reported before any work.
    private static void ValidateOptions(GenerationOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException(e.Message.Split(" (Parameter", 2)[0]);
        }
    }
}

/// <summary>
/// Prints an answer as it is generated: ids when the model has no tokenizer, else each token's text delta from an
/// incremental decode (exactly the decoded answer once finished, a bounded amount of work per token).
/// </summary>
internal sealed class AnswerStreamer(ClaraModel model, TextWriter output)
{
    private readonly IncrementalDetokenizer? _text = model.Tokenizer?.DecodeStream();

    public void Add(int token)
    {
        output.Write(_text is null ? token + " " : _text.Add(token));
        output.Flush();
    }

    /// <summary>Prints what the decode still held back (an unfinished character ends as U+FFFD, as in the full decode) and ends the line.</summary>
    public void Finish() => output.WriteLine(_text?.Finish());
}
