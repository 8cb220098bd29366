using System.CommandLine;
using System.Net;
using Clara.CommandLine;
using System.Runtime.InteropServices;
using Clara.Engine.Pipeline;
using Clara.Engine.Pipeline.Scheduling;
using Clara.Server;

namespace Clara.Cli;

/// <summary>clara serve: the OpenAI-compatible HTTP server (<see cref="ClaraServer"/>) over a model and a store built by clara index.</summary>
internal sealed class ServeCommand : ICommand
{
    private static readonly ClaraServerOptions Defaults = new();
    private readonly Option<string> _model = ModelOption.OrDefault();
    private readonly Option<string> _store = Options.RequiredText("--store", "PATH|postgres://…", "the store built by clara index");
    private readonly Option<int> _port = Options.Int("--port", "P", Defaults.Port, "the TCP port");
    private readonly Option<string> _host = Options.Text("--host", "ADDR", Defaults.Host.ToString(), "the IP address to listen on (0.0.0.0: every interface)");
    private readonly Option<int?> _k = Options.OptionalInt("--k", "K", "documents per answer (default: clara.json top_k)");
    private readonly Option<int> _queue = Options.Int("--queue", "N", new SchedulerOptions().QueueCapacity, "requests waiting before 429");
    private readonly Option<bool> _continuous = Options.Flag("--continuous", "batch generations for throughput (default: one at a time, bit-identical to clara ask)");
    private readonly Option<int> _maxTokens = Options.Int("--max-tokens", "N", Defaults.MaxTokens, "the largest max_tokens a request may ask for");
    private readonly Option<long> _maxBodyBytes = Options.Long("--max-body-bytes", "N", Defaults.MaxRequestBodyBytes, "the largest request body");
    private readonly Option<int> _timeout = Options.Int("--timeout", "SECONDS", (int)Defaults.RequestTimeout.TotalSeconds, "a request's time limit (504 past it)");
    private readonly BackendOptions _backend = new();

    public Command Create()
    {
        _host.Validators.Add(r =>
        {
            if (!IPAddress.TryParse(r.GetValueOrDefault<string>(), out _))
                r.AddError($"--host expects an IP address (127.0.0.1, 0.0.0.0, ::1), got '{r.GetValueOrDefault<string>()}'");
        });
        return new Command("serve", "OpenAI-compatible HTTP server: POST /v1/chat/completions (streaming too), POST /v1/embeddings, GET /health; Ctrl-C stops it")
            .With([_model, _store, _port, _host, _k, _queue, _continuous, _maxTokens, _maxBodyBytes, _timeout, .. _backend.All]).With(Run);
    }

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var location = StoreLocation.Parse(p.GetValue(_store)!);
        var options = Defaults with
        {
            Host = IPAddress.Parse(p.GetValue(_host)!),
            Port = p.GetValue(_port),
            TopK = p.GetValue(_k),
            MaxTokens = p.GetValue(_maxTokens),
            MaxRequestBodyBytes = p.GetValue(_maxBodyBytes),
            RequestTimeout = TimeSpan.FromSeconds(p.GetValue(_timeout)),
            ModelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath))),
        };
        var scheduling = new SchedulerOptions
        {
            QueueCapacity = p.GetValue(_queue),
            WhenFull = QueueFullMode.Reject,
            Generation = p.GetValue(_continuous) ? GenerationBatching.Continuous : GenerationBatching.Exact,
        };
        Validate(options.Validate, scheduling.Validate);
        using var backend = _backend.Create(p);

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
