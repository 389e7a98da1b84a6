namespace SmbRoot.Mkinitramfs;

/// <summary>
/// The kernel modules an archive carries. The NIC drivers and the root filesystems default to the
/// common ones; a site that names its own (--nic, --filesystem) gets a smaller archive, which the
/// kernel unpacks sooner and in less memory. The boot loads only what its devices and its image
/// need either way. A name given here must exist; a default this kernel lacks is left out with a note.
/// </summary>
public sealed record ModuleSelection(IReadOnlyList<string> Nics, IReadOnlyList<string> FileSystems, IReadOnlyList<string> Extra)
{
    /// <summary>NIC drivers for common hardware and hypervisors, with virtio's PCI transport.</summary>
    public static readonly string[] CommonNics =
        ["virtio_net", "virtio_pci", "e1000", "e1000e", "igb", "igc", "ixgbe", "r8169", "tg3", "bnx2", "vmxnet3", "hv_netvsc"];

    /// <summary>
    /// Not btrfs: with what it pulls in (raid6, zstd, xor) it would be a fifth of the archive; a
    /// btrfs root adds it with --filesystem or --module. ext4 is also what a persistent overlay layer is.
    /// </summary>
    public static readonly string[] CommonFileSystems = ["xfs", "ext4"];

    /// <summary>What every site's boot may need, whatever its hardware.</summary>
    public static readonly string[] EveryBoot =
    [
        "cifs", "loop", "overlay",
        // The kernel builds SMB3 encryption and signing from crypto templates it asks for by name at
        // mount time (gcm(aes) needs ctr and ghash; ccm needs ctr): the boot loads them beforehand.
        "ctr", "ghash_generic", "cmac", "ccm", "gcm",
        // AES in the CPU, for signing and sealing at speed where it has AES-NI.
        "aesni_intel",
        // The watchdog that stops a read-write holder which can no longer renew its claim (fencing).
        "softdog",
    ];

    /// <summary>Every module to carry, with its closure still to be resolved.</summary>
    public IReadOnlyList<string> Wanted =>
        [.. Nics.Count > 0 ? Nics : CommonNics, .. FileSystems.Count > 0 ? FileSystems : CommonFileSystems, .. EveryBoot, .. Extra];

    /// <summary>The names someone gave: the build fails when one of these is not there.</summary>
    public IReadOnlyList<string> Named => [.. Nics, .. FileSystems, .. Extra];

    /// <summary>A list option's value: names separated by commas, as dracut's --add-drivers takes spaces.</summary>
    public static IEnumerable<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
