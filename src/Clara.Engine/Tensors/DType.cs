namespace Clara.Engine.Tensors;

/// <summary>Element types the engine stores. Compute is fp32; other float types are storage formats.</summary>
public enum DType : byte
{
    F32,
    BF16,
    F16,
    I32,
    I64,
    F64,
    I8,
    U8,
    I16,
    U16,
    U32,
    U64,
    Bool,
    F8E4M3,
    F8E5M2,
    /// <summary>
    /// A Q8_0 block-quantised weight [out, in]: the tensor's bytes are the int8 values (one a weight), and
    /// <see cref="Tensor.BlockScales"/> holds one F16 scale per 32 consecutive weights of a row (llama.cpp's Q8_0:
    /// w ≈ scale · q). Storage only, for linear weights; see <see cref="Q8Blocks"/>.
    /// </summary>
    Q8_0,
}

public static class DTypeInfo
{
    public static int SizeOf(this DType type) => type switch
    {
        DType.F64 or DType.I64 or DType.U64 => 8,
        DType.F32 or DType.I32 or DType.U32 => 4,
        DType.BF16 or DType.F16 or DType.I16 or DType.U16 => 2,
        DType.I8 or DType.U8 or DType.Bool or DType.F8E4M3 or DType.F8E5M2 or DType.Q8_0 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown dtype"),
    };

    /// <summary>True for the types the engine computes with or converts from without loss of meaning.</summary>
    public static bool IsFloatStorage(this DType type) => type is DType.F32 or DType.BF16 or DType.F16 or DType.F64;

    /// <summary>The dtype string the safetensors format uses.</summary>
    public static string SafetensorsName(this DType type) => type switch
    {
        DType.F32 => "F32",
        DType.BF16 => "BF16",
        DType.F16 => "F16",
        DType.F64 => "F64",
        DType.I32 => "I32",
        DType.I64 => "I64",
        DType.I8 => "I8",
        DType.U8 => "U8",
        DType.I16 => "I16",
        DType.U16 => "U16",
        DType.U32 => "U32",
        DType.U64 => "U64",
        DType.Bool => "BOOL",
        DType.F8E4M3 => "F8_E4M3",
        DType.F8E5M2 => "F8_E5M2",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown dtype"),
    };

    public static bool TryParseSafetensorsName(string name, out DType type)
    {
        switch (name)
        {
            case "F32": type = DType.F32; return true;
            case "BF16": type = DType.BF16; return true;
            case "F16": type = DType.F16; return true;
            case "F64": type = DType.F64; return true;
            case "I32": type = DType.I32; return true;
            case "I64": type = DType.I64; return true;
            case "I8": type = DType.I8; return true;
            case "U8": type = DType.U8; return true;
            case "I16": type = DType.I16; return true;
            case "U16": type = DType.U16; return true;
            case "U32": type = DType.U32; return true;
            case "U64": type = DType.U64; return true;
            case "BOOL": type = DType.Bool; return true;
            case "F8_E4M3": type = DType.F8E4M3; return true;
            case "F8_E5M2": type = DType.F8E5M2; return true;
            default: type = default; return false;
        }
    }
}
