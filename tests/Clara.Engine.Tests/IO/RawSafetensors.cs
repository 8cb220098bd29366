using System.Buffers.Binary;
using System.Text;

namespace Clara.Engine.Tests.IO;

/// <summary>
/// Builds safetensors bytes directly from the public format description (8-byte little-endian header length,
/// the JSON header, then the data), independently of the engine's writer, so malformed files can be made on purpose.
/// </summary>
internal static class RawSafetensors
{
    public static byte[] Build(string headerJson, int dataLength) => Build(Encoding.UTF8.GetBytes(headerJson), new byte[dataLength]);

    public static byte[] Build(string headerJson, byte[] data) => Build(Encoding.UTF8.GetBytes(headerJson), data);

    public static byte[] Build(byte[] header, byte[] data) => WithDeclaredHeaderLength((ulong)header.Length, [.. header, .. data]);

    /// <summary>A length prefix of <paramref name="declared"/> followed by <paramref name="rest"/>, whatever its real length.</summary>
    public static byte[] WithDeclaredHeaderLength(ulong declared, byte[] rest)
    {
        var bytes = new byte[sizeof(ulong) + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared);
        rest.CopyTo(bytes, sizeof(ulong));
        return bytes;
    }

    /// <summary>Header JSON for one tensor entry, e.g. Entry("w", "F32", [2], 0, 8).</summary>
    public static string Entry(string name, string dtype, int[] shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}}";

    public static string Header(params string[] entries) => "{" + string.Join(",", entries) + "}";
}
