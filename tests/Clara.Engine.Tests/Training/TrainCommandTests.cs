using System.Diagnostics;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.IO;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>clara train as a user runs it, on the tiny text CLaRa model: refusals before any step, the output directory, kill and resume.</summary>
public class TrainCommandTests
{
    private static readonly string[] InstructLines =
    [
        """{"docs": ["Paris is the capital of France."], "question": "What is the capital of France?", "answer": "Paris"}""",
        """{"docs": ["Rome is the capital of Italy.", "Bern is in Switzerland."], "question": "Which city is the capital of Italy?", "answer": "Rome"}""",
        """{"docs": ["The sea is blue."], "question": "What colour is the sea?", "answer": "blue"}""",
    ];

    private static readonly string[] E2eLines =
    [
        """{"question": "What is the capital of France?", "docs": ["Paris is the capital of France.", "Rome is in Italy.", "The sea is blue."], "answer": "Paris", "gold": 0}""",
        """{"question": "What colour is the sea?", "docs": ["Bern is in Switzerland.", "The sea is blue.", "Paris is in France."], "answer": "blue", "gold": 1}""",
    ];

    private static string Model => Fixtures.Clara("clara-text");

    private static (int Code, string Out, string Err) Clara(params string[] args) => ClaraCli.Run(args);

    [Test]
    public void ANonPositiveLearningRateIsAUsageError()
    {
        using var dir = new TempDirectory();
        var (code, _, err) = Clara("train", "instruct", "--model", Model, "--data", dir.WriteText("d.jsonl", InstructLines[0]), "--out", dir.File("out"), "--lr", "0");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--lr must be > 0, got 0"));
    }

    [Test]
    public void AnUnknownAdapterIsRefusedByName()
    {
        using var dir = new TempDirectory();
        var (code, _, err) = Clara("train", "instruct", "--model", Model, "--data", dir.WriteText("d.jsonl", InstructLines[0]), "--out", dir.File("out"),
            "--adapters", "decoder_adapter,nope");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("--adapters: unknown adapter 'nope'"));
        Assert.That(Directory.Exists(dir.File("out")), Is.False, "nothing is written before the input is known good");
    }

    [Test]
    public void ABadDataLineIsRefusedBeforeAnyStep()
    {
        using var dir = new TempDirectory();
        var data = dir.WriteText("d.jsonl", InstructLines[0] + "\n" + """{"docs": ["x"], "question": "y"}""" + "\n");
        var (code, _, err) = Clara("train", "instruct", "--model", Model, "--data", data, "--out", dir.File("out"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain($"{data}:2: answer: is missing"));
        Assert.That(Directory.Exists(dir.File("out")), Is.False);
    }

    [Test]
    public void KAboveTheCandidatesIsRefused()
    {
        using var dir = new TempDirectory();
        var (code, _, err) = Clara("train", "e2e", "--model", Model, "--data", dir.WriteText("d.jsonl", E2eLines[0]), "--out", dir.File("out"), "--k", "4");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain(":1: docs: k = 4 but only 3 candidates (k > N; see --k)"));
    }

    [Test]
    public void TheOutputIsACLaRaDirectoryWithTheTrainedAdapters()
    {
        using var dir = new TempDirectory();
        var data = dir.WriteText("d.jsonl", string.Join("\n", InstructLines));
        string output = dir.File("out");
        var (code, stdout, err) = Clara("train", "instruct", "--model", Model, "--data", data, "--eval", data, "--out", output,
            "--steps", "6", "--lr", "2e-2", "--batch", "3", "--warmup", "1");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain("trained 6/6 steps"));

        using var checkpoint = SafetensorsFile.Open(Path.Combine(output, Trainer.CheckpointDirectory, TrainingCheckpoint.FileName));
        using var trained = ClaraModel.Load(output);
        using var original = ClaraModel.Load(Model);
        var decoder = trained.Decoder.GetAdapter(ClaraModel.DecoderAdapter)!;
        var before = original.Decoder.GetAdapter(ClaraModel.DecoderAdapter)!;
        Assert.That(decoder.TryGet(0, LinearSlot.Q, out var a, out _), Is.True);
        before.TryGet(0, LinearSlot.Q, out var a0, out _);
        string name = "decoder_adapter/" + WeightNames.PeftLora(0, LinearSlot.Q, 'A');
        Assert.Multiple(() =>
        {
            Assert.That(a.ToFloatArray(), Is.EqualTo(checkpoint.ReadAsFloat32("value/" + name)), "the exported adapter is the trained one");
            Assert.That(a.ToFloatArray(), Is.Not.EqualTo(a0.ToFloatArray()), "training moved it");
            Assert.That(File.ReadAllBytes(Path.Combine(output, "adapters", "encoder_adapter", "adapter_model.safetensors")),
                Is.EqualTo(File.ReadAllBytes(Path.Combine(Model, "adapters", "encoder_adapter", "adapter_model.safetensors"))), "untrained adapters are copied");
            Assert.That(File.ReadLines(Path.Combine(output, TrainingMetricsLog.FileName)).Count(), Is.EqualTo(7), "6 steps and the final evaluation");
        });
        // Every update sees the whole (fixed) set, so its loss must fall.
        var losses = File.ReadLines(Path.Combine(output, TrainingMetricsLog.FileName))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("loss").GetDouble()).ToList();
        TestContext.Out.WriteLine($"instruct losses: {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        Assert.That(losses[^1], Is.LessThan(losses[0]));

        using var docs = new TempDirectory();
        var corpus = docs.WriteText("docs.jsonl", """{"id": "a", "text": "Paris is the capital of France."}""" + "\n" + """{"id": "b", "text": "The sea is blue."}""");
        var ask = Clara("ask", "--model", output, "--docs", corpus, "--question", "What is the capital of France?", "--k", "1", "--max-new-tokens", "3", "--json");
        Assert.That(ask.Code, Is.EqualTo(0), ask.Err);
    }

    /// <summary>
    /// Every run starts its seed's permutation afresh, so a run from another run's output with the same data file and the
    /// same seed trains on the same examples first: clara train says so, and not when the seed or the file differs.
    /// </summary>
    [Test]
    public void ContinuingWithTheSameDataAndSeedSaysTheOrderRepeats()
    {
        using var dir = new TempDirectory();
        var data = dir.WriteText("d.jsonl", string.Join("\n", InstructLines));
        var otherData = dir.WriteText("e.jsonl", string.Join("\n", InstructLines.Reverse()));
        string[] Args(string from, string file, string output, string seed) =>
            ["train", "instruct", "--model", from, "--data", file, "--out", output, "--steps", "1", "--batch", "2", "--seed", seed];

        var first = Clara(Args(Model, data, dir.File("a"), "3"));
        Assert.That(first.Code, Is.EqualTo(0), first.Err);
        var same = Clara(Args(dir.File("a"), data, dir.File("b"), "3"));
        var otherSeed = Clara(Args(dir.File("a"), data, dir.File("c"), "4"));
        var otherFile = Clara(Args(dir.File("a"), otherData, dir.File("d"), "3"));
        Assert.Multiple(() =>
        {
            Assert.That(first.Err, Does.Not.Contain("note:"), "the fixture model is no training output");
            Assert.That(same.Code, Is.EqualTo(0), same.Err);
            Assert.That(same.Err, Does.Contain($"note: {dir.File("a")} was trained on this data file with seed 3 (2 examples read)"));
            Assert.That(otherSeed.Code, Is.EqualTo(0), otherSeed.Err);
            Assert.That(otherSeed.Err, Does.Not.Contain("note:"));
            Assert.That(otherFile.Code, Is.EqualTo(0), otherFile.Err);
            Assert.That(otherFile.Err, Does.Not.Contain("note:"));
        });
    }

    /// <summary>--checkpoint-activations recomputes every block in backward: the trained adapters are the same bytes.</summary>
    [Test]
    public void CheckpointedActivationsTrainTheSameAdapters()
    {
        using var dir = new TempDirectory();
        var data = dir.WriteText("d.jsonl", string.Join("\n", InstructLines));
        string[] Args(string output) => ["train", "instruct", "--model", Model, "--data", data, "--out", output, "--steps", "3",
            "--lr", "2e-2", "--batch", "2", "--seed", "3"];
        var plain = Clara(Args(dir.File("plain")));
        Assert.That(plain.Code, Is.EqualTo(0), plain.Err);
        var checkpointed = Clara([.. Args(dir.File("checkpointed")), "--checkpoint-activations"]);
        Assert.That(checkpointed.Code, Is.EqualTo(0), checkpointed.Err);
        const string adapter = "adapters/decoder_adapter/adapter_model.safetensors";
        Assert.That(File.ReadAllBytes(dir.File("checkpointed/" + adapter)), Is.EqualTo(File.ReadAllBytes(dir.File("plain/" + adapter))));
        Assert.That(File.ReadAllBytes(dir.File("plain/" + adapter)),
            Is.Not.EqualTo(File.ReadAllBytes(Path.Combine(Model, adapter))), "training moved the adapter");
    }

    /// <summary>
    /// e2e over two epochs of the same questions: with the memory cache the second epoch reads every candidate from it;
    /// without it every batch compresses its candidates again. The trained adapters are the same bytes.
    /// </summary>
    [Test]
    public void TheMemoryCacheTrainsTheSameAdapters()
    {
        using var dir = new TempDirectory();
        var data = dir.WriteText("d.jsonl", string.Join("\n", E2eLines));
        string[] Args(string output, string megabytes) => ["train", "e2e", "--model", Model, "--data", data, "--out", output, "--epochs", "2",
            "--k", "1", "--lr", "5e-3", "--seed", "3", "--memory-cache-mb", megabytes];
        var cached = Clara(Args(dir.File("cached"), "64"));
        Assert.That(cached.Code, Is.EqualTo(0), cached.Err);
        var recompressed = Clara(Args(dir.File("recompressed"), "0"));
        Assert.That(recompressed.Code, Is.EqualTo(0), recompressed.Err);
        foreach (var adapter in new[] { ClaraModel.QueryAdapter, ClaraModel.DecoderAdapter })
        {
            string file = $"adapters/{adapter}/adapter_model.safetensors";
            Assert.That(File.ReadAllBytes(dir.File("cached/" + file)), Is.EqualTo(File.ReadAllBytes(dir.File("recompressed/" + file))), adapter);
            Assert.That(File.ReadAllBytes(dir.File("cached/" + file)), Is.Not.EqualTo(File.ReadAllBytes(Path.Combine(Model, file))), adapter + " moved");
        }
        var negative = Clara(Args(dir.File("negative"), "-1"));
        Assert.That(negative.Code, Is.EqualTo(2));
        Assert.That(negative.Err, Does.Contain("--memory-cache-mb"));
    }

    /// <summary>clara train scp-rank reads the e2e text lines with their gold and trains all three adapters.</summary>
    [Test]
    public void ScpRankTrainsTheCompressorTheQueryReasonerAndTheGeneratorFromE2eLines()
    {
        using var dir = new TempDirectory();
        var data = dir.WriteText("d.jsonl", string.Join("\n", E2eLines));
        string[] Args(string output, string weight) => ["train", "scp-rank", "--model", Model, "--data", data, "--eval", data, "--out", output,
            "--steps", "3", "--batch", "2", "--lr", "5e-3", "--seed", "3", "--rank-weight", weight];
        var (code, stdout, err) = Clara(Args(dir.File("out"), "0.5"));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain("trained 3/3 steps"));
        Assert.That(err, Does.Contain("scp-rank: 2 examples"));
        foreach (var adapter in new[] { ClaraModel.EncoderAdapter, ClaraModel.QueryAdapter, ClaraModel.DecoderAdapter })
        {
            string file = $"adapters/{adapter}/adapter_model.safetensors";
            Assert.That(File.ReadAllBytes(dir.File("out/" + file)), Is.Not.EqualTo(File.ReadAllBytes(Path.Combine(Model, file))), adapter + " moved");
        }
        var negative = Clara(Args(dir.File("negative"), "-1"));
        Assert.That(negative.Code, Is.EqualTo(2));
        Assert.That(negative.Err, Does.Contain("--rank-weight"));
    }

    [Test]
    public void AKilledRunResumesToTheWeightsOfAnUninterruptedOne()
    {
        using var dir = new TempDirectory();
        var data = dir.WriteText("d.jsonl", string.Join("\n", E2eLines));
        const int steps = 24;
        string[] Args(string output) => ["train", "e2e", "--model", Model, "--data", data, "--out", output, "--steps", $"{steps}",
            "--k", "2", "--lr", "5e-3", "--batch", "1", "--accumulate", "2", "--save-every", "1", "--seed", "5"];

        var straight = Clara(Args(dir.File("straight")));
        Assert.That(straight.Code, Is.EqualTo(0), straight.Err);

        // The same run in a child process, killed (SIGKILL) once a few checkpoints are on disk.
        string killed = dir.File("killed");
        var cli = Path.Combine(AppContext.BaseDirectory, "clara.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(cli);
        foreach (var arg in Args(killed)) start.ArgumentList.Add(arg);
        using (var child = Process.Start(start)!)
        {
            child.ErrorDataReceived += (_, _) => { };
            child.BeginErrorReadLine();
            var metrics = Path.Combine(killed, TrainingMetricsLog.FileName);
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2) &&
                   (!File.Exists(metrics) || File.ReadLines(metrics).Count() < 3))
                Thread.Sleep(5);
            if (child.HasExited) Assert.Inconclusive($"the child run ended (code {child.ExitCode}) before it could be killed");
            child.Kill();
            child.WaitForExit();
        }
        using (var file = SafetensorsFile.Open(Path.Combine(killed, Trainer.CheckpointDirectory, TrainingCheckpoint.FileName)))
            Assert.That(int.Parse(file.Metadata["step"]), Is.InRange(1, steps - 1), "the kill left a whole checkpoint from mid-run");

        var resumed = Clara([.. Args(killed), "--resume"]);
        Assert.That(resumed.Code, Is.EqualTo(0), resumed.Err);
        foreach (var adapter in new[] { "decoder_adapter", "query_reasoner_adapter" })
            Assert.That(File.ReadAllBytes(Path.Combine(killed, "adapters", adapter, "adapter_model.safetensors")),
                Is.EqualTo(File.ReadAllBytes(dir.File($"straight/adapters/{adapter}/adapter_model.safetensors"))), adapter);
    }
}
