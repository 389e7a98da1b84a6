using SmbRoot.Core.Admin;
using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Admin;

public class BootEntryTests
{
    private const string CommandLine = "console=ttyS0  root=cifs://node7@192.0.2.5/boot/machines/node7.img ip=dhcp,auto6";

    [Fact]
    public void Both_loaders_get_the_checked_command_line_and_every_initrd()
    {
        var entries = BootEntry.Make("node7", CommandLine, "/smbroot/vmlinuz", ["/smbroot/initramfs.img", "/smbroot/secrets/node7.cpio"]);
        Assert.Equal("#!ipxe\n" +
            "kernel /smbroot/vmlinuz initrd=initramfs.img initrd=node7.cpio console=ttyS0 root=cifs://node7@192.0.2.5/boot/machines/node7.img ip=dhcp,auto6\n" +
            "initrd /smbroot/initramfs.img\ninitrd /smbroot/secrets/node7.cpio\nboot\n", entries.Ipxe);
        Assert.Equal("menuentry \"SmbRoot: node7\" {\n" +
            "    linux  /smbroot/vmlinuz console=ttyS0 root=cifs://node7@192.0.2.5/boot/machines/node7.img ip=dhcp,auto6\n" +
            "    initrd /smbroot/initramfs.img /smbroot/secrets/node7.cpio\n}\n", entries.Grub);
        Assert.Contains("network:     DHCP + SLAAC", entries.Plan);
    }

    [Theory]
    [InlineData("node7", "root=cifs://s/b/r.img ip=rarp", "autoconf 'rarp' is not supported")]
    [InlineData("node7", "root=cifs://u:secret@s/b/r.img", "a password in the URL is refused")]
    [InlineData("node7", "root=cifs://s/b/r.img; reboot", "GRUB's and iPXE's scripts")]
    [InlineData("node\"7", "root=cifs://s/b/r.img", "cannot name a boot entry")]
    public void An_entry_that_would_not_boot_is_refused(string name, string commandLine, string message) =>
        Assert.Contains(message, Assert.Throws<PlanException>(() => BootEntry.Make(name, commandLine, "vmlinuz", ["initramfs.img"])).Message);
}
