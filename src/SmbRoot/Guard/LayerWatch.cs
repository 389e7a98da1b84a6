using SmbRoot.Core.Overlay;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Guard;

/// <summary>
/// Guard mode's eye on the writable layer (rd.overlay=): how full it is, for <c>init status</c>,
/// and a console message as it fills (<see cref="LayerUsage"/>), read every few seconds.
/// </summary>
public sealed class LayerWatch(Microsoft.Extensions.Logging.ILogger log, OverlayLayer layer)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly LayerUsage _usage = new(layer.File is null ? LayerUsage.TmpfsRemedy : LayerUsage.FileRemedy);
    private TimeSpan _next;

    public void OnTimer(TimeSpan now)
    {
        if (now < _next) return;
        _next = now + Interval;
        try
        {
            var (total, used) = Sys.FileSystemUsage(OverlayLayer.LayerMountPoint);
            switch (_usage.Next(used, total))
            {
                case { Kind: LayerUsage.Kind.Full } full: log.Error(full.Text); break;
                case { Kind: LayerUsage.Kind.Filling } filling: log.Warn(filling.Text); break;
                case { } roomAgain: log.Say(roomAgain.Text); break;
            }
        }
        catch (SysException e)
        {
            log.Warn($"overlay: cannot read the writable layer's usage: {e.Message}");
            _next = now + TimeSpan.FromMinutes(1);
        }
    }

    /// <summary>The status line's text.</summary>
    public static string Describe(OverlayLayer layer, Resources.LoopAttachment? persistent)
    {
        string usage;
        try
        {
            var (total, used) = Sys.FileSystemUsage(OverlayLayer.LayerMountPoint);
            usage = LayerUsage.Describe(used, total);
        }
        catch (SysException e)
        {
            usage = "usage unknown: " + e.Message;
        }
        string kind = persistent is null ? "tmpfs" : $"the layer {persistent.Image} (ext4 on {persistent.Device})";
        string keeps = persistent is null ? $", at most {layer.TmpfsSize}), lost at the end" : "), kept";
        return $"{kind} on {OverlayLayer.LayerMountPoint} ({usage}{keeps}; the image is read-only under it at {OverlayLayer.LowerMountPoint}";
    }
}
