namespace Clara.Engine.Models;

/// <summary>The seven projections of a decoder block, each a LoRA target.</summary>
public enum LinearSlot { Q, K, V, O, Gate, Up, Down }

public static class LinearSlots
{
    public static readonly LinearSlot[] All = Enum.GetValues<LinearSlot>();

    /// <summary>The HF module path inside a layer ("self_attn.q_proj").</summary>
    public static string HfModule(this LinearSlot slot) => slot switch
    {
        LinearSlot.Q => "self_attn.q_proj",
        LinearSlot.K => "self_attn.k_proj",
        LinearSlot.V => "self_attn.v_proj",
        LinearSlot.O => "self_attn.o_proj",
        LinearSlot.Gate => "mlp.gate_proj",
        LinearSlot.Up => "mlp.up_proj",
        LinearSlot.Down => "mlp.down_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(slot)),
    };

    /// <summary>The PEFT target_modules name ("q_proj").</summary>
    public static string TargetName(this LinearSlot slot) => slot.HfModule()[(slot.HfModule().IndexOf('.') + 1)..];

    /// <summary>The engine-native tensor name ("wq").</summary>
    public static string EngineName(this LinearSlot slot) => slot switch
    {
        LinearSlot.Q => "wq",
        LinearSlot.K => "wk",
        LinearSlot.V => "wv",
        LinearSlot.O => "wo",
        LinearSlot.Gate => "w_gate",
        LinearSlot.Up => "w_up",
        LinearSlot.Down => "w_down",
        _ => throw new ArgumentOutOfRangeException(nameof(slot)),
    };

    /// <summary>The slot whose engine-native name is <paramref name="name"/> ("wq"), if any.</summary>
    public static bool TryParseEngineName(string name, out LinearSlot slot) => TryFind(s => s.EngineName() == name, out slot);

    /// <summary>The slot whose PEFT target_modules name is <paramref name="module"/> ("q_proj"), if any.</summary>
    public static bool TryParseTargetName(string module, out LinearSlot slot) => TryFind(s => s.TargetName() == module, out slot);

    /// <summary>The slot whose HF module path is <paramref name="module"/> ("self_attn.q_proj"), if any.</summary>
    public static bool TryParseHfModule(string module, out LinearSlot slot) => TryFind(s => s.HfModule() == module, out slot);

    private static bool TryFind(Func<LinearSlot, bool> matches, out LinearSlot slot)
    {
        foreach (var s in All)
            if (matches(s))
            {
                slot = s;
                return true;
            }
        slot = default;
        return false;
    }

    /// <summary>[out, in] of the projection.</summary>
    public static (int Out, int In) Dims(this LinearSlot slot, ModelConfig c) => slot switch
    {
        LinearSlot.Q => (c.QueryWidth, c.HiddenSize),
        LinearSlot.K or LinearSlot.V => (c.KvWidth, c.HiddenSize),
        LinearSlot.O => (c.HiddenSize, c.QueryWidth),
        LinearSlot.Gate or LinearSlot.Up => (c.IntermediateSize, c.HiddenSize),
        LinearSlot.Down => (c.HiddenSize, c.IntermediateSize),
        _ => throw new ArgumentOutOfRangeException(nameof(slot)),
    };
}
