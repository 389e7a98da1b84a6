using SmbRoot.Core.Kernel;
using SmbRoot.Core.State;
using SmbRoot.Interop;

namespace SmbRoot.Resources;

/// <summary>
/// The image file attached to a loop device. The loop device holds the open file on the share,
/// and the image lock belongs to that open file (<see cref="ImageLock"/>), so detaching closes
/// the SMB handle and drops the lock on the server. During the boot the image's descriptor is
/// held here too; in the final stage only the device is known (from the state file).
/// </summary>
public sealed class LoopAttachment(string device, string image, string? fileSystem, int imageFd = -1) : IReleasedAtTheEnd
{
    private int _imageFd = imageFd;

    public string Device => device;
    public string Image => image;
    public string? FileSystem => fileSystem;

    /// <summary>The image's path in the share (a pointer file followed), known during the boot and in guard mode.</summary>
    public string? PathInShare { get; init; }

    /// <summary>What the file is to the root, for messages: "image" or "layer".</summary>
    public string Role { get; init; } = "image";

    public Built ForFinalStage => new Built.Loop(device, PathInShare ?? image, fileSystem, Role);

    /// <summary>Which file on the server the boot attached (read-only images), for the guard's check that the name still names it.</summary>
    public Core.Images.ImageIdentity? Identity { get; init; }

    public string Name => $"{device} ({image})";

    public static string BackingFileOf(string device) => $"/sys/block/{Path.GetFileName(device)}/loop/backing_file";

    public void Release(Deadline deadline)
    {
        try
        {
            Detach(device, deadline);
        }
        finally
        {
            if (_imageFd >= 0) Sys.Close(_imageFd);
            _imageFd = -1;
        }
    }

    /// <summary>
    /// LOOP_CLR_FD, retried while the device is busy; then waits until the device has let go of
    /// its file, which it does asynchronously (drivers/block/loop.c, __loop_clr_fd). A device that
    /// is already free (systemd-shutdown detaches loop devices itself, src/shutdown/detach-loopback.c) is fine.
    /// </summary>
    public static void Detach(string device, Deadline deadline)
    {
        while (true)
        {
            try
            {
                Loop.Detach(device);
                break;
            }
            catch (SysException e) when (e.Errno is Errno.ENXIO or Errno.ENOENT)
            {
                break;
            }
            catch (SysException e) when (e.Errno == Errno.EBUSY && deadline.WaitAndRetry(TimeSpan.FromMilliseconds(200)))
            {
            }
        }
        string backing = BackingFileOf(device);
        while (File.Exists(backing) && deadline.WaitAndRetry(TimeSpan.FromMilliseconds(50))) { }
        if (File.Exists(backing)) throw new IOException($"{device} still holds {File.ReadAllText(backing).Trim()}");
    }
}
