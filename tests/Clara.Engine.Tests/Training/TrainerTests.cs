using System.Text.Json;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.IO;
using Clara.Engine.Training;
using Clara.Engine.Training.Optimization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>The training loop on the least-squares toy objective: exact resume, cancellation, checkpoints, evaluation, metrics.</summary>
public class TrainerTests
{
    private static readonly TrainerOptions Options = new()
    {
        Steps = 16, Batch = 3, Accumulate = 2, Seed = 7, SaveEvery = 5,
        Optimizer = new OptimizerSettings { LearningRate = 0.05, WarmupSteps = 3, ClipNorm = 6.0 },
    };

    private CpuBackend _backend = null!;

    [SetUp]
    public void CreateBackend() => _backend = new CpuBackend(1);

    [TearDown]
    public void DisposeBackend() => _backend.Dispose();

    [Test]
    public void StoppingAndResumingGivesTheSameWeightsAsTrainingStraight()
    {
        using var straightDir = new TempDirectory();
        using var resumedDir = new TempDirectory();
        using var straight = Objective();
        var full = Run(straight, straightDir.Path, resume: false);
        Assert.That(full.Step, Is.EqualTo(16));

        using (var first = Objective())
        {
            using var cancel = new CancellationTokenSource();
            var stopped = Run(first, resumedDir.Path, resume: false, new CancelAt(8, cancel), cancel.Token);
            Assert.That((stopped.Cancelled, stopped.Step), Is.EqualTo((true, 8)));
            Assert.That(TrainingCheckpoint.Load(stopped.CheckpointPath, first.Parameters).Step, Is.EqualTo(8), "the cancelled run saved where it stopped");
        }
        using var second = Objective();  // a fresh process would start from the initial weights too
        using var initial = Objective();
        var resumed = Run(second, resumedDir.Path, resume: true);
        Assert.That((resumed.Cancelled, resumed.Step), Is.EqualTo((false, 16)));

        // 40 rows, 6 per update: the 16 updates cross two epoch boundaries, so the data position is exercised too.
        Assert.Multiple(() =>
        {
            Assert.That(second.Parameters.Values.ToFloatArray(), Is.EqualTo(straight.Parameters.Values.ToFloatArray()), "values");
            Assert.That(second.Parameters.ExpAvg.ToFloatArray(), Is.EqualTo(straight.Parameters.ExpAvg.ToFloatArray()), "exp_avg");
            Assert.That(second.Parameters.ExpAvgSq.ToFloatArray(), Is.EqualTo(straight.Parameters.ExpAvgSq.ToFloatArray()), "exp_avg_sq");
            Assert.That(second.Parameters.Values.ToFloatArray(), Is.Not.EqualTo(initial.Parameters.Values.ToFloatArray()), "training changed the weights");
        });
        var steps = MetricLines(resumedDir.Path).Where(l => l.ContainsKey("loss")).Select(l => (int)l["step"]).ToList();
        Assert.That(steps, Is.EqualTo(Enumerable.Range(1, 16)), "metrics.jsonl holds each step once across the stop");
    }

    [Test]
    public void AResumeWithOtherSettingsIsRefusedNamingThem()
    {
        using var dir = new TempDirectory();
        using (var o = Objective()) Run(o, dir.Path, resume: false);
        using var again = Objective();
        var changed = Options with { Optimizer = Options.Optimizer with { LearningRate = 0.01 } };
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(again, Rows(), null, changed, dir.Path, tokens: LeastSquaresObjective.Tokens).Run(resume: true));
        Assert.That(e!.Message, Does.Contain("lr: checkpoint 0.05, now 0.01"));
    }

    [Test]
    public void ANewRunDoesNotOverwriteAnotherRunsCheckpoint()
    {
        using var dir = new TempDirectory();
        using (var o = Objective()) Run(o, dir.Path, resume: false);
        using var again = Objective();
        var e = Assert.Throws<IOException>(() => Run(again, dir.Path, resume: false));
        Assert.That(e!.Message, Does.Contain("--resume"));
    }

    [Test]
    public void ACrashWhileSavingLeavesThePreviousCheckpointWhole()
    {
        using var dir = new TempDirectory();
        using var o = Objective();
        var result = Run(o, dir.Path, resume: false);
        byte[] before = File.ReadAllBytes(result.CheckpointPath);

        // A write that dies half-way (as a kill would) and the temporary file such a kill would leave behind.
        Assert.Throws<IOException>(() => SafetensorsWriter.Write(result.CheckpointPath,
            [TensorToWrite.FromCallback("value/x", DType.F32, new Shape(1024), s => { s.Write(new byte[100]); throw new IOException("killed"); })]));
        File.WriteAllBytes(result.CheckpointPath + ".tmp-0123456789abcdef", new byte[] { 1, 2, 3 });

        Assert.That(File.ReadAllBytes(result.CheckpointPath), Is.EqualTo(before));
        using var fresh = Objective();
        Assert.That(TrainingCheckpoint.Load(result.CheckpointPath, fresh.Parameters).Step, Is.EqualTo(16));
        Assert.That(fresh.Parameters.Values.ToFloatArray(), Is.EqualTo(o.Parameters.Values.ToFloatArray()));
    }

    [Test]
    public void ATruncatedCheckpointIsRefusedNamingTheFile()
    {
        using var dir = new TempDirectory();
        using var o = Objective();
        var result = Run(o, dir.Path, resume: false);
        var bytes = File.ReadAllBytes(result.CheckpointPath);
        File.WriteAllBytes(result.CheckpointPath, bytes[..(bytes.Length / 2)]);
        using var fresh = Objective();
        var e = Assert.Catch(() => new Trainer(fresh, Rows(), null, Options, dir.Path, tokens: LeastSquaresObjective.Tokens).Run(resume: true));
        Assert.That(e!.Message, Does.Contain(TrainingCheckpoint.FileName));
    }

    [Test]
    public void EvaluationIsTheTokenMeanOverTheWholeSet()
    {
        using var dir = new TempDirectory();
        using var o = Objective();
        var eval = Rows().Take(11).ToArray();  // 11 rows in batches of 3: the last batch is short, so batch means must be weighted
        var options = Options with { Steps = 8, EvalEvery = 4 };
        var result = new Trainer(o, Rows(), eval, options, dir.Path, tokens: LeastSquaresObjective.Tokens).Run(resume: false);
        var evals = MetricLines(dir.Path).Where(l => l.ContainsKey("eval_loss")).ToList();
        Assert.That(evals.Select(l => (int)l["step"]), Is.EqualTo(new[] { 4, 8 }));
        double wholeSet = o.Evaluate(eval);  // one batch of all 11 rows: the mean by definition
        Assert.That(result.LastEvalLoss, Is.EqualTo(wholeSet).Within(1e-6 * wholeSet));
        Assert.That(evals[^1]["eval_loss"], Is.EqualTo(wholeSet).Within(1e-6 * wholeSet));
    }

    [Test]
    public void TheLossFalls()
    {
        using var dir = new TempDirectory();
        using var o = Objective();
        var rows = Rows();
        double before = o.Evaluate(rows);
        new Trainer(o, rows, null, Options with { Steps = 60, Optimizer = Options.Optimizer with { LearningRate = 0.1 } }, dir.Path,
            tokens: LeastSquaresObjective.Tokens).Run(resume: false);
        // The targets are random, so much of the loss is out of any linear fit's reach: a clear drop is all there is to see.
        Assert.That(o.Evaluate(rows), Is.LessThan(0.8 * before));
    }

    [TestCase(1.5, 10)]   // ⌈1.5 · 40 / 6⌉
    [TestCase(0.01, 1)]
    public void EpochsBecomeSteps(double epochs, int steps) =>
        Assert.That((Options with { Steps = null, Epochs = epochs }).TotalSteps(40), Is.EqualTo(steps));

    private LeastSquaresObjective Objective()
    {
        using var f = TrainFixtures.Open("optimizer");
        return new LeastSquaresObjective(_backend, f.ReadAsFloat32("clipped.x"), f.ReadAsFloat32("clipped.y"),
            f.ReadAsFloat32("clipped.w0"), f.ReadAsFloat32("clipped.b0"), dIn: 5, dOut: 3);
    }

    private static TrainingExample[] Rows() => Enumerable.Range(0, 40).Select(r => (TrainingExample)new RowExample(r)).ToArray();

    private static TrainingResult Run(LeastSquaresObjective objective, string dir, bool resume, ITrainingReporter? reporter = null,
        CancellationToken cancellation = default) =>
        new Trainer(objective, Rows(), null, Options, dir, reporter: reporter, tokens: LeastSquaresObjective.Tokens).Run(resume, cancellation);

    private static List<Dictionary<string, double>> MetricLines(string dir) =>
        File.ReadLines(Path.Combine(dir, TrainingMetricsLog.FileName))
            .Select(l => JsonSerializer.Deserialize<Dictionary<string, double>>(l)!).ToList();

    /// <summary>Presses "Ctrl-C" when a given step has finished.</summary>
    private sealed class CancelAt(int step, CancellationTokenSource source) : ITrainingReporter
    {
        public void Step(TrainingStepReport report)
        {
            if (report.Step == step) source.Cancel();
        }
        public void Evaluation(int s, double loss) { }
        public void Message(string text) { }
    }
}
