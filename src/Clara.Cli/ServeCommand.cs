using System.Net;
using System.Runtime.InteropServices;
using Clara.Engine.Pipeline;
using Clara.Engine.Pipeline.Scheduling;
using Clara.Server;

namespace Clara.Cli;

/// <summary>clara serve: the OpenAI-compatible HTTP server (<see cref="ClaraServer"/>) over a model and a store built by clara index.</summary>
internal sealed class ServeCommand : ICommand
{
    public string Name => "serve";
    public string Usage =>
        "serve --model DIR --store PATH|postgres://… [--port P] [--host ADDR] [--k K] [--queue N] [--continuous]\n" +
        "      [--max-tokens N] [--max-body-bytes N] [--timeout SECONDS] [--device cpu|cuda[:N]] [--threads N]";
    public string Summary => "OpenAI-compatible HTTP server: POST /v1/chat/completions (streaming too), POST /v1/embeddings, GET /health; Ctrl-C stops it";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string> { "continuous" });
        var modelPath = a.Required("model");
        var location = StoreLocation.Parse(a.Required("store"));
        var defaults = new ClaraServerOptions();
        var hostText = a.Optional("host");
        if (hostText is not null && !IPAddress.TryParse(hostText, out _)) throw new UsageException($"--host expects an IP address (127.0.0.1, 0.0.0.0, ::1), got '{hostText}'");
        int? timeout = a.OptionalInt("timeout");
        var options = defaults with
        {
            Host = hostText is null ? defaults.Host : IPAddress.Parse(hostText),
            Port = a.OptionalInt("port") ?? defaults.Port,
            TopK = a.OptionalInt("k"),
            MaxTokens = a.OptionalInt("max-tokens") ?? defaults.MaxTokens,
            MaxRequestBodyBytes = a.OptionalInt("max-body-bytes") ?? defaults.MaxRequestBodyBytes,
            RequestTimeout = timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.RequestTimeout,
            ModelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath))),
        };
        var scheduling = new SchedulerOptions
        {
            QueueCapacity = a.OptionalInt("queue") ?? new SchedulerOptions().QueueCapacity,
            WhenFull = QueueFullMode.Reject,
            Generation = a.Flag("continuous") ? GenerationBatching.Continuous : GenerationBatching.Exact,
        };
        Validate(options.Validate, scheduling.Validate);
        using var backend = a.Backend();
        a.RejectUnknown();

        using var model = ClaraModel.Load(modelPath, backend, scheduling);
        CandidateCorpus corpus;
        using (var store = location.Open(model.Fingerprint, write: false))
            corpus = CandidateCorpus.Load(new DocumentIndexer(model, store));

        using var stop = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        var server = ClaraServer.StartAsync(model, corpus, options).GetAwaiter().GetResult();
        stdout.WriteLine($"clara serve: {corpus.Count} documents from {location.Text}, model '{options.ModelName}', listening on {server.Address}");
        stdout.Flush();
        stop.Token.WaitHandle.WaitOne();
        stderr.WriteLine("clara serve: stopping");
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }

    /// <summary>Option values out of range are usage mistakes, reported before the model is loaded.</summary>
    private static void Validate(params Action[] checks)
    {
        foreach (var check in checks)
        {
            try
            {
                check();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UsageException(e.Message.Split(" (Parameter", 2)[0].Split(Environment.NewLine)[0] + " (" + e.ParamName + ")");
            }
        }
    }
}
