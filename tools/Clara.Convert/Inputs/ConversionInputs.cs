using Clara.Convert.Model;
using Clara.Convert.Sources;
using Clara.Engine.Models;

namespace Clara.Convert.Inputs;

/// <summary>LoRA settings as read by the engine's PEFT parser, and where they were read (named in problems).</summary>
public sealed record AdapterSettings(PeftConfigValues Values, string Source);

/// <summary>One adapter's tensors and, when the input said, its LoRA settings.</summary>
public sealed record AdapterInput(string Name, AdapterSettings? Settings, IReadOnlyList<ISourceTensor> Tensors, string Origin);

/// <summary>Everything the inputs provide, sorted by role. Owns the opened files.</summary>
public sealed class ConversionInputs : IDisposable
{
    private readonly List<IDisposable> _open = [];

    /// <summary>The command-line inputs, as detected.</summary>
    public List<DetectedInput> Detected { get; } = [];

    public HfModelConfig? Config { get; set; }
    public string? ClaraJson { get; set; }
    public string? ClaraJsonSource { get; set; }
    public ClaraReleaseConfig? ReleaseConfig { get; set; }

    /// <summary>Base-model tensors under their HF names.</summary>
    public List<ISourceTensor> Base { get; } = [];

    /// <summary>Resized embedding / lm_head that replace the base's (CLaRa's decoder_first_last_layers.pth).</summary>
    public List<ISourceTensor> Resized { get; } = [];

    public List<AdapterInput> Adapters { get; } = [];

    /// <summary>Every file whose bytes feed the output, for the provenance record.</summary>
    public List<string> SourceFiles { get; } = [];

    /// <summary>tokenizer.json / tokenizer.model / tokenizer_config.json / special_tokens_map.json beside the base.</summary>
    public List<string> TokenizerFiles { get; } = [];

    public T Own<T>(T disposable) where T : IDisposable
    {
        _open.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (var d in _open) d.Dispose();
        _open.Clear();
    }
}
