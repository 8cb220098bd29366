using Clara.Convert.Planning;
using Clara.Engine.IO.Safetensors;

namespace Clara.Convert.Output;

/// <summary>What <see cref="EngineFileWriter.Write"/> produced.</summary>
public sealed record EngineWriteResult(string Path, long FileBytes, int TensorCount, IReadOnlyList<string> UnalignedTensors);

/// <summary>
/// Writes the engine-native file: a safetensors container with engine tensor names, 64-byte alignment and the
/// clara.* metadata. The per-tensor checksums belong in the header, which precedes the data, so each tensor is
/// converted twice: once to checksum it, once to write it (re-checksummed, so the file holds exactly the
/// bytes its header vouches for). Memory stays at one conversion chunk either way.
/// </summary>
public static class EngineFileWriter
{
    public const int Alignment = 64;

    public static EngineWriteResult Write(ConversionPlan plan, string outPath, ProgressSink progress)
    {
        var ordered = AlignmentFriendlyOrder(plan.Tensors);
        long sourceBytes = ordered.Sum(t => t.Source.ByteLength);

        // Hash the inputs on the thread pool while this thread checksums the converted tensors.
        var sourceHashes = Task.Run(() => plan.SourceFiles.Select(SourceHash.Of).ToList());

        var checksums = new Dictionary<string, string>(StringComparer.Ordinal);
        var checking = progress.Start("checksum", sourceBytes);
        foreach (var tensor in ordered)
        {
            var sink = new ChecksumStream(null);
            TensorConverter.Convert(tensor, sink, checking);
            checksums[tensor.Name] = sink.Hex;
        }
        checking?.Finish();

        var metadata = EngineMetadata.Build(plan, sourceHashes.GetAwaiter().GetResult(), checksums);
        var writing = progress.Start("write", sourceBytes);
        var result = SafetensorsWriter.Write(outPath, ordered.Select(tensor => TensorToWrite.FromCallback(tensor.Name, tensor.DType, tensor.Shape, stream =>
        {
            var hashing = new ChecksumStream(stream);
            TensorConverter.Convert(tensor, hashing, writing);
            if (hashing.Hex != checksums[tensor.Name])
                throw new IOException($"'{tensor.Source.Name}' in {tensor.Source.Origin} read back different bytes on the second pass " +
                                      $"(crc32 {hashing.Hex}, first pass {checksums[tensor.Name]}): was the input modified during conversion?");
        })), metadata, Alignment);
        writing?.Finish();
        return new EngineWriteResult(result.Path, new FileInfo(result.Path).Length, ordered.Count, result.UnalignedTensors);
    }

    /// <summary>
    /// safetensors allows no gaps between tensors, so a tensor is aligned only when the sizes before it add up
    /// to a multiple of the alignment. Tensors whose sizes are multiples go first (all of them, in real models),
    /// in canonical order; the rest follow.
    /// </summary>
    public static List<PlannedTensor> AlignmentFriendlyOrder(IReadOnlyList<PlannedTensor> tensors) =>
        tensors.Where(t => t.ByteLength % Alignment == 0).Concat(tensors.Where(t => t.ByteLength % Alignment != 0)).ToList();
}

/// <summary>Makes a progress bar per phase, or none: not for jobs that finish before a bar would tell anything.</summary>
public sealed class ProgressSink(TextWriter? writer, bool isTerminal)
{
    public const long MinimumBytes = 64L << 20;

    public static readonly ProgressSink None = new(null, false);

    public ProgressReporter? Start(string label, long totalBytes) =>
        writer is null || totalBytes < MinimumBytes ? null : new ProgressReporter(writer, isTerminal, label, totalBytes);
}
