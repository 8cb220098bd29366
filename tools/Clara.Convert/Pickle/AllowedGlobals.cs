using System.Collections.Frozen;
using Clara.Engine.Tensors;

namespace Clara.Convert.Pickle;

/// <summary>
/// The only Python globals a checkpoint pickle may name: what torch.save (1.6 to 2.x) emits for state
/// dicts of dense CPU tensors. Anything else, however harmless it looks, is refused by name.
/// </summary>
internal static class AllowedGlobals
{
    private static readonly FrozenDictionary<string, PickleGlobal> ByName = Build().ToFrozenDictionary(g => g.FullName);

    public static PickleGlobal Resolve(string module, string name, string source) =>
        ByName.TryGetValue(module + "." + name, out var global)
            ? global
            : throw new PickleSecurityException(source, module + "." + name);

    private static IEnumerable<PickleGlobal> Build()
    {
        yield return new("collections", "OrderedDict", GlobalRole.OrderedDict);
        yield return new("torch._utils", "_rebuild_tensor_v2", GlobalRole.RebuildTensorV2);
        yield return new("torch._utils", "_rebuild_tensor", GlobalRole.RebuildTensor);
        yield return new("torch._utils", "_rebuild_parameter", GlobalRole.RebuildParameter);
        yield return new("torch._utils", "_rebuild_parameter_with_state", GlobalRole.RebuildParameterWithState);
        yield return new("torch", "Size", GlobalRole.TorchSize);

        (string Storage, string[] DTypeNames, DType Type)[] types =
        [
            ("FloatStorage", ["float32", "float"], DType.F32),
            ("DoubleStorage", ["float64", "double"], DType.F64),
            ("HalfStorage", ["float16", "half"], DType.F16),
            ("BFloat16Storage", ["bfloat16"], DType.BF16),
            ("LongStorage", ["int64", "long"], DType.I64),
            ("IntStorage", ["int32", "int"], DType.I32),
            ("ShortStorage", ["int16", "short"], DType.I16),
            ("CharStorage", ["int8"], DType.I8),
            ("ByteStorage", ["uint8"], DType.U8),
            ("BoolStorage", ["bool"], DType.Bool),
        ];
        foreach (var (storage, dtypeNames, type) in types)
        {
            yield return new("torch", storage, GlobalRole.StorageType, type);
            foreach (var dtypeName in dtypeNames) yield return new("torch", dtypeName, GlobalRole.DType, type);
        }
    }
}
