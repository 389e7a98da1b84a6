using System.Globalization;
using SmbRoot.Core.Plan;

namespace SmbRoot.Core.Overlay;

/// <summary>
/// rd.overlay=: the root is overlayfs with the image as its read-only lower layer (a golden image
/// that any number of machines share) and a writable layer of this machine's own on top: either a
/// dedicated tmpfs, lost at every boot (<c>rd.overlay=tmpfs[:size=N%|NM|NG]</c>; its own, not /run,
/// so that a full layer fills only itself), or an image file on the share that persists (<see cref="LayerFile"/>).
/// </summary>
public sealed record OverlayLayer(string? TmpfsSize, LayerFile? File = null)
{
    /// <summary>tmpfs's own default (mm/shmem.c: half of RAM), named so that the plan and status can say it.</summary>
    public const string DefaultSize = "50%";

    /// <summary>Where the golden image is mounted read-only, and where the layer (tmpfs or the layer image) with upper/ and work/ is: dracut's names (modules.d/90dmsquash-live).</summary>
    public const string LowerMountPoint = "/run/rootfsbase", LayerMountPoint = "/run/overlayfs";

    public const string UpperDirectory = LayerMountPoint + "/upper", WorkDirectory = LayerMountPoint + "/work";

    /// <summary>The overlay mount's options (Documentation/filesystems/overlayfs.rst).</summary>
    public static string MountData => $"lowerdir={LowerMountPoint},upperdir={UpperDirectory},workdir={WorkDirectory}";

    /// <summary>The tmpfs mount's options: its size cap, and root-only like /run.</summary>
    public string? TmpfsData => TmpfsSize is null ? null : $"size={TmpfsSize},mode=0755";

    /// <summary>In a persistent layer, beside upper/ and work/: which golden image the layer was made on (<see cref="LayerStamp"/>).</summary>
    public const string StampFile = LayerMountPoint + "/golden";

    public string Describe() => (File is { } file ? file.Describe() : $"tmpfs of {(TmpfsSize!.EndsWith('%') ? TmpfsSize + " of RAM" : TmpfsSize)} on {LayerMountPoint}, lost at every boot")
        + "; the image is the read-only layer under it";

    /// <summary>Parses the value of rd.overlay=, or throws <see cref="PlanException"/> naming the key.</summary>
    public static OverlayLayer Parse(string value)
    {
        if (value is "tmpfs" or "1" or "") return new OverlayLayer(DefaultSize);
        if (value.StartsWith("tmpfs:size=", StringComparison.Ordinal)) return new OverlayLayer(ParseSize(value["tmpfs:size=".Length..]));
        if (value.StartsWith("cifs:", StringComparison.OrdinalIgnoreCase) || value.StartsWith("//", StringComparison.Ordinal)) return new OverlayLayer(null, LayerFile.Parse(value));
        throw new PlanException("rd.overlay=: expected tmpfs, tmpfs:size=N% (of RAM), tmpfs:size=NM (or NG), or cifs://server/share/dir/{mac}.img");
    }

    private static string ParseSize(string text)
    {
        if (text.Length >= 2)
        {
            char unit = char.ToLowerInvariant(text[^1]);
            string digits = text[..^1];
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
            {
                switch (unit)
                {
                    case '%' when n <= 100: return $"{n}%";
                    case 'm' when n <= 1024 * 1024: return $"{n}m";
                    case 'g' when n <= 1024: return $"{n}g";
                }
            }
        }
        throw new PlanException("rd.overlay=tmpfs:size=: expected a percentage of RAM from 1% to 100%, or a size such as 512M or 2G");
    }
}
