using SmbRoot.Core.Initramfs;
using SmbRoot.Mkinitramfs;

namespace SmbRoot.Lab;

/// <summary>
/// The way people boot from an image on a share by hand today, built by the bench so SmbRoot
/// is measured against it in the same run: a static busybox and a shell script as /init that
/// insmods the modules, sets the address with ip, mounts the share with mount -t cifs, attaches
/// the image with losetup, mounts it and runs switch_root. It does the same job with the same
/// options (SMB 3.1.1, hard, signed), moves /proc, /sys and /dev into the root as any such script
/// must, and nothing more: no retries, no error messages, no way out.
/// </summary>
public static class PeerInitramfs
{
    /// <summary>What the script writes to the kernel log after its steps (so they get a timestamp), as SmbRoot's console says them.</summary>
    public const string NetworkUp = "peer: network up", ImageAttached = "peer: image attached", RootMounted = "peer: root mounted";

    private static readonly string[] Modules = ["virtio_pci", "virtio_net", "cifs", "loop", "ext4", "ctr", "ghash_generic"];
    private static readonly string[] Applets = ["sh", "mount", "mkdir", "cat", "echo", "ip", "insmod", "losetup", "switch_root", "usleep"];

    /// <summary>Builds the peer's initramfs for a guest on QEMU's user network (10.0.2.15, server 10.0.2.2) and returns its path.</summary>
    public static string Build(Lab lab, string pathInShare, TextWriter log)
    {
        if (lab.Samba.UserPassword.Contains(','))
        {
            // busybox mount splits -o at every comma itself, so the kernel's ",," never reaches cifs.
            throw new ArgumentException("the script's busybox mount cannot pass a password with a comma; give the bench's lab another");
        }
        string modules = "/lib/modules/" + lab.KernelVersion;
        var (index, closure) = InitramfsBuilder.ModuleClosure(modules, Modules, log);
        var archive = new CpioWriter();
        foreach (var directory in new[] { "bin", "dev", "proc", "sys", "share", "sysroot", "modules" }) archive.AddDirectory(directory);
        archive.AddCharDevice("dev/console", 5, 1);
        archive.AddFile("bin/busybox", File.ReadAllBytes(Shell.Require("busybox", "busybox-static")), 0x1ED);
        foreach (var applet in Applets) archive.AddSymlink("bin/" + applet, "busybox");
        var loadOrder = new List<string>();
        foreach (var module in closure.Modules)
        {
            string name = module + ".ko";
            archive.AddFile("modules/" + name, File.ReadAllBytes(Path.Combine(modules, index.PathOf(module))));
            loadOrder.Add(name);
        }
        archive.AddFile("init", System.Text.Encoding.UTF8.GetBytes(Script(lab, pathInShare, loadOrder)), 0x1ED);
        // Compressed as SmbRoot's own, so the sizes compare the contents.
        string output = Path.Combine(lab.WorkDirectory, "peer.img");
        InitramfsBuilder.Write(archive, output, 0, InitramfsFile.CompressionOf(lab.Initramfs));
        return output;
    }

    private static string Script(Lab lab, string pathInShare, IReadOnlyList<string> loadOrder) => $$"""
        #!/bin/sh
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        for m in {{string.Join(' ', loadOrder)}}; do insmod /modules/$m 2>/dev/null; done
        ip link set eth0 up
        ip addr add 10.0.2.15/24 dev eth0
        ip route add default via 10.0.2.2
        # A careful script waits for the link before it talks to the server.
        while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ]; do usleep 20000; done
        echo '{{NetworkUp}}' > /dev/kmsg
        mount -t cifs //10.0.2.2/{{SambaServer.ShareName}} /share -o 'vers=3.1.1,hard,sign,ip=10.0.2.2,port={{lab.Samba.Port}},username={{SambaServer.User}},password={{lab.Samba.UserPassword}}'
        losetup /dev/loop0 '/share/{{pathInShare}}'
        echo '{{ImageAttached}}' > /dev/kmsg
        mount -t ext4 /dev/loop0 /sysroot
        echo '{{RootMounted}}' > /dev/kmsg
        for d in proc sys dev; do mount --move /$d /sysroot/$d; done
        exec switch_root /sysroot /sbin/init
        """;
}
