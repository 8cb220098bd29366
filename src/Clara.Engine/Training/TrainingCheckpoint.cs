using System.Globalization;
using System.Runtime.InteropServices;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>Where a run stands: updates applied, examples consumed, and the settings that decide its numbers.</summary>
/// <param name="Settings">
/// Every setting that changes the trained values (stage, data hash, learning rate, schedule, batch, seed, …) as text;
/// a resume must find them all unchanged, or it would not continue the same run.
/// </param>
public sealed record TrainingState(int Step, long DataPosition, ulong Seed, IReadOnlyDictionary<string, string> Settings);

/// <summary>
/// A run's checkpoint: one safetensors file holding every trainable tensor's value and AdamW moments
/// (<c>value/NAME</c>, <c>exp_avg/NAME</c>, <c>exp_avg_sq/NAME</c>, F32) and the <see cref="TrainingState"/> in the
/// metadata. It is written through a temporary file renamed over the old one (<see cref="SafetensorsWriter"/>), so a
/// crash at any moment leaves either the previous checkpoint or the new one, never a mixture.
/// </summary>
public static class TrainingCheckpoint
{
    public const string FileName = "trainer-state.safetensors";
    private const string Format = "clara-train-checkpoint/1";
    private static readonly string[] Kinds = ["value", "exp_avg", "exp_avg_sq"];

    public static void Save(string path, ParameterStore store, TrainingState state)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var flats = new[] { store.Values, store.ExpAvg, store.ExpAvgSq }.Select(t => t.ToFloatArray()).ToArray();
        var tensors = new List<TensorToWrite>();
        for (int k = 0; k < Kinds.Length; k++)
            foreach (var p in store.Parameters)
                tensors.Add(TensorToWrite.FromFloat32($"{Kinds[k]}/{p.Name}", p.Shape, flats[k].AsMemory((int)p.Offset, (int)p.Shape.ElementCount)));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["data_position"] = state.DataPosition.ToString(CultureInfo.InvariantCulture),
            ["seed"] = state.Seed.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in state.Settings) metadata["setting." + key] = value;
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="store"/> (values and moments) after checking it holds exactly the store's
    /// tensors; returns its state. Refuses a file of another format or a damaged one, naming it.
    /// </summary>
    public static TrainingState Load(string path, ParameterStore store)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint at {path}", path);
        using var file = SafetensorsFile.Open(path);
        var state = State(file.Metadata, path);
        var expected = Kinds.SelectMany(k => store.Parameters.Select(p => $"{k}/{p.Name}")).ToHashSet(StringComparer.Ordinal);
        var present = file.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Except(present).Order().ToList();
        var extra = present.Except(expected).Order().ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InvalidDataException($"{path} was written for other trainable tensors: " +
                (missing.Count > 0 ? $"missing {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}" : "") +
                (missing.Count > 0 && extra.Count > 0 ? "; " : "") +
                (extra.Count > 0 ? $"unexpected {string.Join(", ", extra.Take(5))}{(extra.Count > 5 ? ", …" : "")}" : ""));

        var targets = new[] { store.Values, store.ExpAvg, store.ExpAvgSq };
        for (int k = 0; k < Kinds.Length; k++)
        {
            var flat = new float[store.ElementCount];
            foreach (var p in store.Parameters)
            {
                var entry = file[$"{Kinds[k]}/{p.Name}"];
                if (entry.DType != DType.F32 || !entry.Shape.Dims.SequenceEqual(p.Shape.Dims))
                    throw new InvalidDataException($"{path}: '{entry.Name}' is {entry.DType}{entry.Shape}, the parameter is F32{p.Shape}");
                MemoryMarshal.Cast<byte, float>(file.GetBytes(entry)).CopyTo(flat.AsSpan((int)p.Offset, (int)p.Shape.ElementCount));
            }
            store.Backend.Upload(MemoryMarshal.AsBytes(flat.AsSpan()), targets[k]);
        }
        return state;
    }

    /// <summary>A checkpoint's <see cref="TrainingState"/> alone, without reading its tensors.</summary>
    public static TrainingState ReadState(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint at {path}", path);
        using var file = SafetensorsFile.Open(path);
        return State(file.Metadata, path);
    }

    /// <summary>The state in a checkpoint's metadata; refuses a file of another format, naming it.</summary>
    private static TrainingState State(IReadOnlyDictionary<string, string> meta, string path)
    {
        if (!meta.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"{path} is not a Clara training checkpoint (format '{format}', expected '{Format}')");
        var settings = meta.Where(kv => kv.Key.StartsWith("setting.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["setting.".Length..], kv => kv.Value, StringComparer.Ordinal);
        return new TrainingState(Number<int>(meta, "step", path), Number<long>(meta, "data_position", path), Number<ulong>(meta, "seed", path), settings);
    }

    private static T Number<T>(IReadOnlyDictionary<string, string> meta, string key, string path) where T : IParsable<T> =>
        meta.TryGetValue(key, out var text) && T.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value : throw new InvalidDataException($"{path}: metadata '{key}' is missing or not a number");
}
