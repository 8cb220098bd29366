using System.IO.MemoryMappedFiles;

namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// A whole file mapped read-only with one view whose pointer is acquired once, so tensor data can be
/// handed out as spans or raw pointers without copying. The pointer stays valid until <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class ReadOnlyMappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _base;

    private ReadOnlyMappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        _map = map;
        _view = view;
        _base = basePointer;
        Length = length;
    }

    public long Length { get; }

    public bool IsDisposed => _base == null;

    /// <summary>Maps <paramref name="stream"/> (length ≥ 1; the OS cannot map an empty file). Takes ownership of the stream.</summary>
    public static ReadOnlyMappedFile Map(FileStream stream)
    {
        long length = stream.Length;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool pointerAcquired = false;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointerAcquired = true;
            return new ReadOnlyMappedFile(map, view, pointer + view.PointerOffset, length);
        }
        catch
        {
            if (pointerAcquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            if (map is null) stream.Dispose(); else map.Dispose();
            throw;
        }
    }

    /// <summary>Pointer to byte <paramref name="offset"/>. Callers prove offset + length ≤ <see cref="Length"/> first.</summary>
    public byte* PointerAt(long offset)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _base + offset;
    }

    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range [{offset}, +{length}) is outside the {Length}-byte file");
        return new ReadOnlySpan<byte>(_base + offset, length);
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
