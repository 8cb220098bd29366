namespace Clara.Engine.Training;

/// <summary>
/// The output of a run is a model directory of the same kind as its input (a CLaRa directory, or an HF one for lm):
/// a copy of the input's files, over which the objective's Export writes the trained tensors (PEFT adapters under
/// adapters/&lt;name&gt;/, or model.safetensors for lm), plus the run's own checkpoint/ and metrics.jsonl.
/// </summary>
public static class TrainingOutputDirectory
{
    /// <summary>
    /// Copies <paramref name="modelDirectory"/> into a new or empty <paramref name="outputDirectory"/> (a resumed run
    /// keeps what is there). When <paramref name="baseWeightsTrained"/> the base weight files are not copied: Export
    /// writes the trained base as model.safetensors, and stale shards beside it would be loaded instead.
    /// </summary>
    public static void Prepare(string modelDirectory, string outputDirectory, bool resume, bool baseWeightsTrained)
    {
        if (!Directory.Exists(modelDirectory))
            throw new ArgumentException($"--model {modelDirectory}: training needs a model directory (a CLaRa or HF directory), not a file");
        string from = Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar);
        string to = Path.GetFullPath(outputDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (from == to || to.StartsWith(from + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"--out {outputDirectory} must not be --model {modelDirectory} or inside it");
        if (resume)
        {
            if (!File.Exists(Path.Combine(to, Trainer.CheckpointDirectory, TrainingCheckpoint.FileName)))
                throw new FileNotFoundException($"--resume: {outputDirectory} holds no checkpoint ({Trainer.CheckpointDirectory}/{TrainingCheckpoint.FileName})");
            return;
        }
        if (Directory.Exists(to) && Directory.EnumerateFileSystemEntries(to).Any())
            throw new IOException($"--out {outputDirectory} is not empty: choose a new directory, or pass --resume to continue its run");

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (IsRunFile(relative) || (baseWeightsTrained && IsBaseWeightFile(relative))) continue;
            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Files of an earlier run when the input is itself a training output (a path relative to the model directory).</summary>
    internal static bool IsRunFile(string relative) =>
        relative.StartsWith(Trainer.CheckpointDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
        relative == TrainingMetricsLog.FileName;

    private static bool IsBaseWeightFile(string relative) =>
        !relative.Contains(Path.DirectorySeparatorChar) &&
        relative.StartsWith("model", StringComparison.Ordinal) &&
        (relative.EndsWith(".safetensors", StringComparison.Ordinal) || relative == "model.safetensors.index.json");
}
