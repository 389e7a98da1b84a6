using SmbRoot.Core.Initramfs;
using SmbRoot.Mkinitramfs;

namespace SmbRoot.Lab;

/// <summary>
/// One lab: the built kernel and initramfs, a private smbd, and a work directory. Knows the
/// command line that boots a guest from the share.
/// </summary>
public sealed class Lab : IDisposable
{
    public string RepositoryRoot { get; }
    public string WorkDirectory { get; }
    public string KernelVersion { get; }
    public string Kernel => "/boot/vmlinuz-" + KernelVersion;
    public string Initramfs => Path.Combine(RepositoryRoot, "out/initramfs.img");
    public SambaServer Samba { get; }

    /// <summary>The lab network the server is on, or null when guests use QEMU's user network.</summary>
    public LabNetwork? Network { get; }

    /// <param name="password">the SMB user's password; the default one has a comma in it, which SmbRoot must carry</param>
    /// <param name="profiling">smbd counts requests, bytes and CPU (the bench's server cost), which the tests leave off</param>
    public Lab(string workDirectory, string? networkNamespace = null, string password = SambaServer.Password, bool profiling = false)
    {
        RepositoryRoot = FindRepositoryRoot();
        string versionFile = Path.Combine(RepositoryRoot, "out/kernel-version");
        if (!File.Exists(versionFile) || !File.Exists(Initramfs))
        {
            throw new InvalidOperationException($"no built initramfs in {RepositoryRoot}/out: run ./build.sh first (./build.sh test does)");
        }
        KernelVersion = File.ReadAllText(versionFile).Trim();
        if (!File.Exists(Kernel)) throw new InvalidOperationException($"{Kernel} is missing: install linux-image-amd64");
        WorkDirectory = workDirectory;
        if (Directory.Exists(workDirectory)) Directory.Delete(workDirectory, recursive: true);
        Directory.CreateDirectory(workDirectory);
        if (networkNamespace is not null) Network = new LabNetwork(networkNamespace);
        Samba = new SambaServer(Path.Combine(workDirectory, "samba"), Network, password, profiling);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Init.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository (Init.sln) above " + AppContext.BaseDirectory);
    }

    /// <summary>Puts a root image on the share at <paramref name="pathInShare"/> (directories created).</summary>
    public string AddImage(string pathInShare, string fileSystem, string? extraRcS = null, string? extraInittab = null,
        IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        string path = Path.Combine(Samba.SharePath, pathInShare);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        RootImage.Create(path, fileSystem, WorkDirectory, extraRcS, extraInittab, extraFiles);
        return path;
    }

    /// <summary>Puts a Debian sysvinit root image (see <see cref="DebianRoot"/>) on the share.</summary>
    public string AddDebianImage(string pathInShare)
    {
        string path = Path.Combine(Samba.SharePath, pathInShare);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DebianRoot.CreateImage(path);
        return path;
    }

    /// <summary>
    /// The built initramfs with a second archive appended that holds the credentials file(s): the
    /// kernel unpacks concatenated archives in order (Documentation/driver-api/early-userspace/buffer-format.rst),
    /// which is also how a PXE setup can keep secrets out of the shared initramfs.
    /// </summary>
    public string InitramfsWith(string name, IReadOnlyDictionary<string, string> files, string? baseImage = null)
    {
        var extra = new CpioWriter();
        foreach (var (path, content) in files) extra.AddFile(path, System.Text.Encoding.UTF8.GetBytes(content), 0x180);
        string output = Path.Combine(WorkDirectory, name + ".img");
        using (var stream = File.Create(output))
        {
            using (var base_ = File.OpenRead(baseImage ?? Initramfs)) base_.CopyTo(stream);
            // The kernel only finds a cpio header on a 4-byte boundary and skips zero padding
            // (init/initramfs.c, unpack_to_rootfs), the same thing GRUB does between initrds.
            while (stream.Position % 4 != 0) stream.WriteByte(0);
            extra.Write(stream, 0);
        }
        return output;
    }

    /// <summary>
    /// The initramfs (<paramref name="baseImage"/>, by default the built one) with a credentials file:
    /// the server's password unless <paramref name="password"/> is another (a wrong one).
    /// </summary>
    public string InitramfsWithCredentials(string? password = null, string? baseImage = null) =>
        InitramfsWith(Path.GetFileNameWithoutExtension(baseImage ?? "initramfs") + "-" + (password is null || password == Samba.UserPassword ? "good" : "bad"),
            new Dictionary<string, string> { ["etc/smbroot/credentials"] = SambaServer.CredentialsText(password ?? Samba.UserPassword) }, baseImage);

    /// <summary>
    /// The initramfs as a site whose machines are all QEMU guests with ext4 roots builds it
    /// (./build.sh --nic virtio_pci,virtio_net --filesystem ext4), from the same /init: the same
    /// NIC and filesystem modules as the script's. Returns its path in the work directory.
    /// </summary>
    public string SiteInitramfs()
    {
        var inputs = new InitramfsInputs(Path.Combine(RepositoryRoot, "out/bin/smbroot"), "/lib/modules/" + KernelVersion,
            Path.Combine(RepositoryRoot, "initramfs-layout"), null, new ModuleSelection(["virtio_pci", "virtio_net"], ["ext4"], []), 0);
        string site = Path.Combine(WorkDirectory, "site.img");
        InitramfsBuilder.Write(InitramfsBuilder.Assemble(inputs, TextWriter.Null), site, 0, InitramfsFile.CompressionOf(Initramfs));
        return site;
    }

    /// <summary>
    /// Two initrds as a boot loader hands them over: <paramref name="second"/> after <paramref name="first"/>,
    /// which the kernel unpacks over it (the zeros between, up to a 512-byte boundary, are skipped:
    /// init/initramfs.c, unpack_to_rootfs). Returns the combined file's path in the work directory.
    /// </summary>
    public string TwoInitrds(string first, string second, string name)
    {
        byte[] head = File.ReadAllBytes(first);
        string both = Path.Combine(WorkDirectory, name);
        File.WriteAllBytes(both, [.. head, .. new byte[(512 - head.Length % 512) % 512], .. File.ReadAllBytes(second)]);
        return both;
    }

    /// <summary>The kernel command line for a guest on QEMU's user network (guest 10.0.2.15, host 10.0.2.2).</summary>
    public string CommandLine(string pathInShare, string extra = "", int? port = null) =>
        $"console=ttyS0 panic=-1 root=cifs://{SambaServer.User}@10.0.2.2:{port ?? Samba.Port}/{SambaServer.ShareName}/{pathInShare} " +
        $"ip=10.0.2.15::10.0.2.2:255.255.255.0:smbroot-guest:eth0:off rd.retry=0 {extra}".TrimEnd();

    /// <param name="kernel">another kernel than the lab's (one a package installed)</param>
    public QemuMachine Boot(string initrd, string commandLine, string nicModel = "virtio-net-pci", TextWriter? echo = null, int memoryMiB = 768, string? kernel = null) =>
        new(kernel ?? Kernel, initrd, commandLine, [GuestNic.User(nicModel)], null, echo, NextConsoleLog(), memoryMiB);

    /// <summary>The command line for guest number <paramref name="guest"/> on the lab network (192.168.77.10+N).</summary>
    public string NetworkCommandLine(string pathInShare, int guest, string extra = "") =>
        $"console=ttyS0 panic=-1 root=cifs://{SambaServer.User}@{LabNetwork.ServerAddress}/{SambaServer.ShareName}/{pathInShare} " +
        $"ip={LabNetwork.Subnet}.{10 + guest}::{LabNetwork.ServerAddress}:255.255.255.0:guest{guest}:eth0:off rd.retry=0 {extra}".TrimEnd();

    /// <summary>The command line for a DHCP guest on the lab network that finds the server by name.</summary>
    public string DhcpCommandLine(string pathInShare, string extra = "") => ByNameCommandLine(pathInShare, "dhcp", extra);

    /// <summary>A command line for a guest on the lab network that finds the server by name, with <c>ip=</c><paramref name="ip"/>.</summary>
    public string ByNameCommandLine(string pathInShare, string ip, string extra = "") =>
        $"console=ttyS0 panic=-1 root=cifs://{SambaServer.User}@{Dnsmasq.ServerName}/{SambaServer.ShareName}/{pathInShare} ip={ip} rd.retry=0 {extra}".TrimEnd();

    /// <summary>A guest on the lab network, with one NIC per entry of <paramref name="nics"/>.</summary>
    public QemuMachine BootOnNetwork(string initrd, string commandLine, IReadOnlyList<GuestNic> nics) =>
        new(Kernel, initrd, commandLine, nics, Network?.Namespace ?? throw new InvalidOperationException("this lab has no network"),
            null, NextConsoleLog());

    private int _guests;

    /// <summary>Each guest's console goes to WorkDirectory/guest-N.console as well.</summary>
    private string NextConsoleLog() => Path.Combine(WorkDirectory, $"guest-{Interlocked.Increment(ref _guests)}.console");

    public void Dispose()
    {
        Samba.Dispose();
        Network?.Dispose();
    }
}
