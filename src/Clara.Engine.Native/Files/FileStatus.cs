using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Clara.Engine.Native.Files;

/// <summary>What kind of file system object a path names, without opening it (opening a FIFO blocks).</summary>
public enum FileKind
{
    Missing,
    RegularFile,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Unknown,
}

/// <summary>
/// lstat-like facts about a path through Linux statx(2), whose buffer layout is the same on every architecture
/// (unlike struct stat). .NET exposes neither the file type nor the inode; both decide whether an output path may
/// be replaced and whether a cached digest still describes a file.
/// </summary>
public readonly record struct FileStatus(FileKind Kind, ulong Inode, long Size, long MTimeSeconds, uint MTimeNanoseconds, uint Mode)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int Enoent = 2, Enotdir = 20;

    /// <summary>Facts about <paramref name="path"/> itself (a symbolic link is reported as one), or null off Linux.</summary>
    public static FileStatus? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        Span<byte> buffer = stackalloc byte[256];
        int rc;
        try
        {
            rc = Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // a libc without statx (glibc < 2.28): callers fall back to what .NET reports
        }
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir) return new FileStatus(FileKind.Missing, 0, 0, 0, 0, 0);
            throw new IOException($"{path}: cannot be examined (statx errno {errno})");
        }
        uint mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        ulong inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]);
        long size = BinaryPrimitives.ReadInt64LittleEndian(buffer[40..]);
        long mtime = BinaryPrimitives.ReadInt64LittleEndian(buffer[112..]); // stx_mtime.tv_sec
        uint mtimeNs = BinaryPrimitives.ReadUInt32LittleEndian(buffer[120..]);
        return new FileStatus(KindOf(mode), inode, size, mtime, mtimeNs, mode & 0xfff);
    }

    private static FileKind KindOf(uint mode) => (mode & 0xf000) switch
    {
        0x8000 => FileKind.RegularFile,
        0x4000 => FileKind.Directory,
        0xa000 => FileKind.SymbolicLink,
        0x1000 => FileKind.Fifo,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        0xc000 => FileKind.Socket,
        _ => FileKind.Unknown,
    };

    [DllImport("libc.so.6", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
}
