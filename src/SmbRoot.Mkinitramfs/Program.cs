using SmbRoot.Mkinitramfs;

const string Usage = """
usage: smbroot-mkinitramfs --init BINARY --modules /lib/modules/VERSION --output FILE
                           [--layout DIR] [--credentials FILE] [--nic NAME[,NAME]]...
                           [--filesystem NAME[,NAME]]... [--module NAME[,NAME]]...
                           [--mtime SECONDS] [--compression gzip|xz|zstd]

Assembles the SmbRoot initramfs: BINARY becomes /init, its ELF libraries and the closure of
the kernel modules are copied in, DIR's files are laid over the archive root, and FILE (mount.cifs
format) becomes /etc/smbroot/credentials with mode 0600. The output is a newc cpio compressed with
gzip (the default), xz (CRC32, as the kernel wants it; needs the xz tool) or zstd (level 19;
needs the zstd tool); the same inputs always give the same bytes (--mtime, default
SOURCE_DATE_EPOCH or 0). The kernel must be able to unpack it: CONFIG_RD_GZIP, CONFIG_RD_XZ or
CONFIG_RD_ZSTD in /boot/config-VERSION.

The modules: cifs, loop, overlay, the SMB3 crypto, aesni_intel and softdog always; then
  --nic          only these NIC drivers (and the buses they sit on), instead of the common ones
                 (virtio_net, virtio_pci, e1000, e1000e, igb, igc, ixgbe, r8169, tg3, bnx2,
                 vmxnet3, hv_netvsc); a QEMU or KVM guest needs --nic virtio_pci,virtio_net
  --filesystem   only these root filesystems, instead of xfs and ext4 (a persistent overlay
                 layer is ext4)
  --module       any other module, e.g. btrfs
A smaller archive unpacks sooner and in less memory. A module named here that this kernel does
not have fails the build; one of the common ones it lacks is left out with a note.
""";

MkinitramfsOptions options;
try
{
    options = MkinitramfsOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"smbroot-mkinitramfs: {e.Message}\n\n{Usage}");
    return 2;
}
if (options.Help)
{
    Console.Write(Usage);
    return 0;
}
if (options is not { Init: { } init, Modules: { } modules, Output: { } output })
{
    Console.Error.WriteLine($"smbroot-mkinitramfs: --init, --modules and --output are required\n\n{Usage}");
    return 2;
}
try
{
    var inputs = new InitramfsInputs(init, modules, options.Layout, options.Credentials, options.Selection, options.Mtime);
    var archive = InitramfsBuilder.Assemble(inputs, Console.Out);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    InitramfsBuilder.Write(archive, output, options.Mtime, options.Compression);
    Console.WriteLine($"  {archive.Paths.Count()} entries, {new FileInfo(output).Length / 1024} KiB compressed with {options.Compression}");
    return 0;
}
catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"smbroot-mkinitramfs: {e.Message}");
    return 1;
}
