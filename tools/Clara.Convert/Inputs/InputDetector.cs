using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Clara.Convert.Torch;

namespace Clara.Convert.Inputs;

public enum InputKind
{
    /// <summary>config.json + model.safetensors / shards with an index / pytorch_model.bin(s).</summary>
    HfModelDirectory,
    /// <summary>adapter_config.json + adapter_model.safetensors (or .bin).</summary>
    PeftAdapterDirectory,
    /// <summary>The reference's release: CLaRa config.json, adapters.pth, decoder_first_last_layers.pth.</summary>
    ClaraReleaseDirectory,
    /// <summary>A single torch.save file (zip or legacy layout).</summary>
    TorchFile,
    /// <summary>A single safetensors file.</summary>
    SafetensorsFile,
}

/// <summary>What an input path holds, decided from its contents, never from its extension.</summary>
public sealed record DetectedInput(string Path, InputKind Kind)
{
    public string Describe() => Kind switch
    {
        InputKind.HfModelDirectory => "Hugging Face model directory",
        InputKind.PeftAdapterDirectory => "PEFT LoRA adapter directory",
        InputKind.ClaraReleaseDirectory => "CLaRa release directory (adapters.pth + decoder_first_last_layers.pth)",
        InputKind.TorchFile => "torch.save file",
        _ => "safetensors file",
    };
}

public static class InputDetector
{
    public const string ClaraAdaptersFile = "adapters.pth";
    public const string ClaraFirstLastLayersFile = "decoder_first_last_layers.pth";

    private static readonly string[] HfWeightFiles =
        ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"];

    public static DetectedInput Detect(string path)
    {
        if (Directory.Exists(path)) return DetectDirectory(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or directory", path);
        return DetectFile(path);
    }

    private static DetectedInput DetectDirectory(string dir)
    {
        string F(string name) => System.IO.Path.Combine(dir, name);
        if (File.Exists(F("adapter_config.json"))) return new(dir, InputKind.PeftAdapterDirectory);
        if (File.Exists(F(ClaraAdaptersFile)) || File.Exists(F(ClaraFirstLastLayersFile)) || IsClaraTrainingConfig(F("config.json")))
            return new(dir, InputKind.ClaraReleaseDirectory);
        if (File.Exists(F("config.json")) && HfWeightFiles.Any(w => File.Exists(F(w))))
            return new(dir, InputKind.HfModelDirectory);

        var present = Directory.EnumerateFileSystemEntries(dir).Select(System.IO.Path.GetFileName).Order().Take(12).ToList();
        throw new InvalidDataException(
            $"{dir}: not a model, adapter or CLaRa directory. Expected config.json with model.safetensors (or shards and " +
            $"model.safetensors.index.json), or adapter_config.json with adapter_model.safetensors, or adapters.pth. " +
            $"Found: {(present.Count == 0 ? "nothing" : string.Join(", ", present))}");
    }

    private static DetectedInput DetectFile(string path)
    {
        var kind = TorchFileSniffer.Sniff(path);
        switch (kind)
        {
            case TorchFileKind.Zip:
            case TorchFileKind.Legacy:
                return new(path, InputKind.TorchFile);
            case TorchFileKind.Other when LooksLikeSafetensors(path):
                return new(path, InputKind.SafetensorsFile);
            default:
                throw new InvalidDataException($"{path}: {TorchFileSniffer.Describe(kind)}");
        }
    }

    /// <summary>u64 header length that fits the file, then a JSON object.</summary>
    private static bool LooksLikeSafetensors(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        if (file.ReadAtLeast(head, 9, throwOnEndOfStream: false) < 9) return false;
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return headerLength >= 2 && headerLength <= (ulong)file.Length - 8 && head[8] == (byte)'{';
    }

    /// <summary>The CLaRa reference saves its own config.json (model_type "CLaRa") beside the adapters.</summary>
    public static bool IsClaraTrainingConfig(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?["model_type"]?.GetValue<string>() is { } type &&
                   type.Equals("CLaRa", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return false;
        }
    }
}
