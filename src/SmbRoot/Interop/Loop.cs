using System.Runtime.InteropServices;
using System.Text;
using SmbRoot.Core.Kernel;

namespace SmbRoot.Interop;

/// <summary>Loop devices (loop(4); include/uapi/linux/loop.h).</summary>
public static unsafe class Loop
{
    public const uint LOOP_CLR_FD = 0x4C01, LOOP_CONFIGURE = 0x4C0A, LOOP_CTL_GET_FREE = 0x4C82;
    public const uint BLKRASET = 0x1262; // _IO(0x12, 98), include/uapi/linux/fs.h; the value in 512-byte sectors (block/ioctl.c)

    /// <summary>
    /// How far the loop device reads ahead: the size of one SMB read (the cifs rsize Samba gives,
    /// 4 MiB) instead of the kernel's 128 KiB for a new block device, so a sequential read of the
    /// root goes to the share in full-size requests, not one round trip per 128 KiB
    /// (`./build.sh bench io`: cold reads from 0.73 to 0.86–0.91 of the share's own speed).
    /// </summary>
    public const int ReadAheadBytes = 4 << 20;
    public const uint LO_FLAGS_READ_ONLY = 1, LO_FLAGS_DIRECT_IO = 16;

    [StructLayout(LayoutKind.Sequential)]
    public struct LoopInfo64
    {
        public ulong Device, Inode, RDevice, Offset, SizeLimit;
        public uint Number, EncryptType, EncryptKeySize, Flags;
        public fixed byte FileName[64];
        public fixed byte CryptName[64];
        public fixed byte EncryptKey[32];
        public fixed ulong Init[2];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct LoopConfig
    {
        public uint Fd, BlockSize;
        public LoopInfo64 Info;
        public fixed ulong Reserved[8];
    }

    /// <summary>
    /// Opens a file for <see cref="Attach"/>: with O_DIRECT, so the loop device reads and writes the
    /// server straight from the pages of the filesystem above it. Without it every block passed
    /// through the cifs client's page cache as well, a second copy and twice the memory: the loop
    /// device ran at 0.88 (write) and 0.89 (read) of the share's own speed, with it at 0.88–0.92
    /// and 0.95–0.98 (`./build.sh bench io`). Asking the loop device for direct I/O is not enough: on a cache=strict
    /// mount a file opened without O_DIRECT answers direct I/O with EINVAL (cifs_direct_io,
    /// fs/cifs/file.c), which the loop device reports as EIO; the open is where cifs_open picks
    /// the direct operations. A filesystem without direct I/O refuses O_DIRECT with EINVAL
    /// (do_dentry_open, fs/open.c): the file is then opened cached and the loop device stays buffered.
    /// </summary>
    public static int OpenBackingFile(string path, int flags, uint mode = 0)
    {
        try
        {
            return Sys.Open(path, flags | Sys.O_DIRECT, mode);
        }
        catch (SysException e) when (e.Errno == Errno.EINVAL)
        {
            return Sys.Open(path, flags, mode);
        }
    }

    /// <summary>
    /// Attaches <paramref name="backingFd"/> (from <see cref="OpenBackingFile"/>) to a free loop device with one LOOP_CONFIGURE call
    /// (Linux 5.8+), so the device never exists half-configured, and sets its read-ahead
    /// (<see cref="ReadAheadBytes"/>). Returns the device path.
    /// </summary>
    public static string Attach(int backingFd, bool readOnly, string displayName)
    {
        int control = Sys.Open("/dev/loop-control", Sys.O_RDWR);
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                int number = Sys.Ioctl(control, LOOP_CTL_GET_FREE, 0, "/dev/loop-control");
                string device = $"/dev/loop{number}";
                int loopFd = Sys.Open(device, readOnly ? Sys.O_RDONLY : Sys.O_RDWR);
                try
                {
                    var config = new LoopConfig { Fd = (uint)backingFd };
                    config.Info.Flags = (readOnly ? LO_FLAGS_READ_ONLY : 0) | LO_FLAGS_DIRECT_IO; // kept only where the file allows it (__loop_update_dio, drivers/block/loop.c)
                    var name = Encoding.UTF8.GetBytes(displayName);
                    for (int i = 0; i < Math.Min(name.Length, 63); i++) config.Info.FileName[i] = name[i];
                    Sys.Ioctl(loopFd, LOOP_CONFIGURE, &config, device);
                    try
                    {
                        Sys.Ioctl(loopFd, BLKRASET, ReadAheadBytes / 512, device);
                    }
                    catch (SysException)
                    {
                        Sys.Ioctl(loopFd, LOOP_CLR_FD, 0, device); // not left attached to a file no one will detach
                        throw;
                    }
                    return device;
                }
                catch (SysException e) when (e.Errno == Errno.EBUSY && attempt < 10)
                {
                    // Another process took the device between GET_FREE and CONFIGURE; ask again.
                }
                finally
                {
                    Sys.Close(loopFd);
                }
            }
        }
        finally
        {
            Sys.Close(control);
        }
    }

    public static void Detach(string device)
    {
        int fd = Sys.Open(device, Sys.O_RDONLY);
        try
        {
            Sys.Ioctl(fd, LOOP_CLR_FD, 0, device);
        }
        finally
        {
            Sys.Close(fd);
        }
    }
}
