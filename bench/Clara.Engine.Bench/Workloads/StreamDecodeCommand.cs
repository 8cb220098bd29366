using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Tokenization;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>stream-decode</c>: the text of a generated answer streamed token by token, the two ways the engine has done it —
/// decoding the whole answer so far at every token and taking what grew (before <c>IncrementalDetokenizer</c>), and
/// the incremental decode — on the same ids, both checked against the full decode. The answer is multilingual prose
/// (accents, CJK, emoji: byte-fallback pieces where the vocabulary lacks them) cut to <c>--tokens</c> ids.
/// Example: <c>stream-decode --model samples/tiny-clara --tokens 2000</c>.
/// </summary>
public static class StreamDecodeCommand
{
    private static readonly Option<string> ModelOption = Options.RequiredText("--model", "DIR", "a directory with the tokenizer files");
    private static readonly Option<int> TokensOption = Options.Int("--tokens", "N", 2000, "answer length in tokens", min: 1);
    private static readonly Option<int> RepeatOption = Options.Int("--repeat", "ROUNDS", 5, "timed rounds", min: 1);

    private static readonly string[] Sentences =
    [
        "The capital of France is Paris, a city on the Seine.", "Café naïve résumé — déjà vu.", "東京は日本の首都です。",
        "Emoji 🎉👍🏽 travel as several bytes.", "Ünïcödé ✓ ☃ ∑ ≠ and plain words.", "中文 and English mixed 😀 end.",
    ];

    public static Command Create() =>
        new Command("stream-decode", "a long answer streamed by re-decoding it at each token against the incremental decode, as one JSON object")
        {
            ModelOption, TokensOption, RepeatOption,
        }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        string model = p.GetValue(ModelOption)!;
        int tokens = p.GetValue(TokensOption);
        int repeat = p.GetValue(RepeatOption);

        var tokenizer = TokenizerLoader.Load(model);
        var answer = Answer(tokenizer, tokens);
        string expected = tokenizer.Decode(answer);

        long redecodedPieces = 0, incrementalPieces = 0;
        string redecoded = "", incremental = "";
        var contenders = new List<Contender>
        {
            new("redecode_whole_answer", () => (redecoded, redecodedPieces) = Redecode(tokenizer, answer)),
            new("incremental", () => (incremental, incrementalPieces) = Incremental(tokenizer, answer)),
        };
        foreach (var contender in contenders) contender.Warm();
        if (redecoded != expected || incremental != expected)
            throw new InvalidOperationException("a streamed answer differs from the full decode");
        for (int round = 0; round < repeat; round++)
            foreach (var contender in contenders) contender.Measure();

        JsonReport.Print(j =>
        {
            j.WriteString("model", model);
            j.WriteNumber("tokens", answer.Length);
            j.WriteNumber("characters", expected.Length);
            foreach (var contender in contenders)
            {
                j.WriteStartObject(contender.Name);
                j.WriteNumber("runs", contender.Runs);
                j.WriteNumber("best_s", contender.BestWall);
                j.WriteNumber("best_cpu_s", contender.BestCpu);
                j.WriteNumber("us_per_token", contender.BestWall / answer.Length * 1e6);
                j.WriteNumber("pieces_decoded", contender.Name == "incremental" ? incrementalPieces : redecodedPieces);
                j.WriteEndObject();
            }
            j.WriteNumber("speedup", contenders[0].BestWall / contenders[1].BestWall);
        });
        return 0;
    }

    private static int[] Answer(ITextTokenizer tokenizer, int tokens)
    {
        var ids = new List<int>(tokens + 64);
        for (int i = 0; ids.Count < tokens; i++) ids.AddRange(tokenizer.Encode(Sentences[i % Sentences.Length] + " "));
        return ids.Take(tokens).ToArray();
    }

    /// <summary>What clara ask and ClaraChatClient did before: decode the answer so far at each token and print what grew.</summary>
    private static (string Text, long Pieces) Redecode(ITextTokenizer tokenizer, int[] answer)
    {
        var ids = new List<int>(answer.Length);
        var printed = new System.Text.StringBuilder();
        long pieces = 0;
        foreach (int id in answer)
        {
            ids.Add(id);
            pieces += ids.Count;
            string text = tokenizer.Decode(ids);
            if (text.Length > printed.Length && !text.EndsWith('\uFFFD')) printed.Append(text, printed.Length, text.Length - printed.Length);
        }
        string whole = tokenizer.Decode(ids);
        printed.Append(whole, printed.Length, whole.Length - printed.Length);
        return (printed.ToString(), pieces + ids.Count);
    }

    private static (string Text, long Pieces) Incremental(ITextTokenizer tokenizer, int[] answer)
    {
        var stream = tokenizer.DecodeStream();
        var text = new System.Text.StringBuilder();
        foreach (int id in answer) text.Append(stream.Add(id));
        text.Append(stream.Finish());
        return (text.ToString(), stream.Work.Pieces);
    }
}
