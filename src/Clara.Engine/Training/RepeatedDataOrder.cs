namespace Clara.Engine.Training;

/// <summary>
/// A run's data order is a permutation fixed by its seed that starts afresh with every run (<see cref="Data.ShuffledOrder"/>),
/// so a run that continues from another run's output with the same data file and the same seed reads the same examples
/// first, and a chain of such runs keeps training on one slice of the file. That is rarely what a user means and it
/// fails silently (the loss still falls), so <c>clara train</c> says so before it starts.
/// </summary>
public static class RepeatedDataOrder
{
    /// <summary>
    /// A note when the run that wrote <paramref name="modelDirectory"/> (its checkpoint, if it has one) read the same data
    /// file (<c>data_sha256</c>) in the same seed's order as <paramref name="runSettings"/> will; null otherwise, also when
    /// the directory holds no readable checkpoint (a model that is not a training output).
    /// </summary>
    public static string? Warning(string modelDirectory, IReadOnlyDictionary<string, string> runSettings)
    {
        string path = Path.Combine(modelDirectory, Trainer.CheckpointDirectory, TrainingCheckpoint.FileName);
        if (!File.Exists(path) || !runSettings.TryGetValue("data_sha256", out var data) || !runSettings.TryGetValue("seed", out var seed))
            return null;
        TrainingState earlier;
        try
        {
            earlier = TrainingCheckpoint.ReadState(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return null;   // the warning is advice; a damaged checkpoint of the input is not this run's concern
        }
        if (earlier.Settings.GetValueOrDefault("data_sha256") != data || earlier.Settings.GetValueOrDefault("seed") != seed) return null;
        return $"note: {modelDirectory} was trained on this data file with seed {seed} ({earlier.DataPosition} examples read); this run's order starts the " +
               "same way, so it trains on those examples again first. Pass another --seed to read the file in another order.";
    }
}
