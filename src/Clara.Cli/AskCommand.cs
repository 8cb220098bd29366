using System.CommandLine;
using System.Text.Json;
using Clara.CommandLine;
using Clara.Engine.Pipeline;
using Clara.Engine.Tokenization.Streaming;

namespace Clara.Cli;

/// <summary>clara ask (spec §9): compress, rerank, select top-k and answer from the selected memory.</summary>
internal sealed class AskCommand : ICommand
{
    private readonly Option<string> _model = ModelOption.OrDefault();
    private readonly CandidateOptions _candidates = new();
    private readonly QuestionOptions _question = new();
    private readonly Option<int[]?> _promptIds = Options.TokenIds("--prompt-ids", "the whole prompt as token ids, memory slots included (default: built from the question)");
    private readonly Option<int?> _k = Options.OptionalInt("--k", "K", "documents to answer from (default: clara.json top_k)", min: 1);
    private readonly Option<float?> _temperature = Options.OptionalFloat("--temperature", "T", "the top-k temperature τ", min: 0);
    private readonly Option<int> _maxNewTokens = Options.Int("--max-new-tokens", "N", 128, "the longest answer in tokens");
    private readonly Option<float> _sampleTemperature = Options.Float("--sample-temperature", "T", 0f, "sampling temperature (0: greedy)");
    private readonly Option<float> _topP = Options.Float("--top-p", "P", 1f, "nucleus sampling mass");
    private readonly Option<int?> _seed = Options.OptionalInt("--seed", "S", "sampling seed");
    private readonly Option<bool> _json = Options.Flag("--json", "print one JSON object (answer_ids, topk, ids, scores) instead of streaming");
    private readonly BackendOptions _backend = new();

    public Command Create()
    {
        var command = new Command("ask", "answer a question from the top-k compressed documents; streams the answer, or prints one JSON object with --json")
            .With([_model, .. _candidates.All, .. _question.All, _promptIds, _k, _temperature, _maxNewTokens, _sampleTemperature, _topP, _seed, _json, .. _backend.All])
            .With(Run);
        _candidates.AddRulesTo(command);
        _question.AddRulesTo(command);
        return command;
    }

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var candidates = Candidates.Read(_candidates, p);
        bool json = p.GetValue(_json);
        int? k = p.GetValue(_k);
        float? temperature = p.GetValue(_temperature);
        var options = new GenerationOptions
        {
            MaxNewTokens = p.GetValue(_maxNewTokens),
            Temperature = p.GetValue(_sampleTemperature),
            TopP = p.GetValue(_topP),
            Seed = p.GetValue(_seed),
        };
        var questionArgument = _question.Read(p);
        var promptArgument = p.GivenValue(_promptIds);
        ValidateOptions(options);
        using var backend = _backend.Create(p);

        candidates.Prepare();
        using var model = ClaraModel.Load(modelPath, backend);
        var question = ClaraInputs.Question(model, questionArgument);
        // A text question goes into the prompt as text, as the reference renders and tokenizes the whole chat turn.
        var promptIds = promptArgument is { } prompt ? ClaraInputs.Checked(model, prompt, "--prompt-ids")
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

    // The options come from the command line, so a bad value is a usage mistake, reported before any work and
    // named as the user wrote it.
    private static void ValidateOptions(GenerationOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            string option = e.ParamName switch
            {
                nameof(GenerationOptions.MaxNewTokens) => "--max-new-tokens",
                nameof(GenerationOptions.Temperature) => "--sample-temperature",
                nameof(GenerationOptions.TopP) => "--top-p",
                _ => e.ParamName ?? "an option",
            };
            throw new UsageException($"{option}: {e.Message.Split(" (Parameter", 2)[0]}");
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
