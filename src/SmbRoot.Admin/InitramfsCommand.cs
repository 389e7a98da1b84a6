using SmbRoot.Core.Admin;
using SmbRoot.Mkinitramfs;

namespace SmbRoot.Admin;

/// <summary>
/// <c>initramfs OUTDIR</c>: what a boot server serves for a site, in one directory: the kernel
/// (vmlinuz), the site's initramfs with the options of /etc/smbroot/mkinitramfs.conf and no
/// password in it (initramfs.img), and each listed machine's credentials archive
/// (secrets/NAME.cpio, mode 0600, in a 0700 directory), the passwords read from standard input.
/// Each file is written beside its old self and renamed over it, so a machine booting meanwhile
/// fetches the old file or the new one, never half of one.
/// </summary>
public static class InitramfsCommand
{
    /// <summary>Where the Debian package installs the init.</summary>
    public const string PackagedInit = "/usr/lib/smbroot/init";

    public sealed record Request(string OutputDirectory, string? KernelVersion, string? ConfigPath, string? Init, string? MachinesPath);

    public static int Run(Request request, TextReader input, bool interactive, TextWriter output, TextWriter error)
    {
        MkinitramfsOptions options;
        IReadOnlyList<MachineList.Machine> machines;
        string kernel, init;
        try
        {
            options = SiteOptions(request.ConfigPath);
            machines = request.MachinesPath is null ? [] : MachineList.Parse(File.ReadAllText(request.MachinesPath), request.MachinesPath);
            kernel = request.KernelVersion ?? NewestKernel("/lib/modules", "/boot");
            init = request.Init ?? (File.Exists(PackagedInit) ? PackagedInit
                : throw new FormatException($"no {PackagedInit} (the Debian package's init); --init names the init to use (./build.sh makes out/bin/smbroot)"));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IOException)
        {
            error.WriteLine($"initramfs: {e.Message}");
            return 1;
        }
        string vmlinuz = $"/boot/vmlinuz-{kernel}", modules = $"/lib/modules/{kernel}";
        if (!File.Exists(vmlinuz) || !Directory.Exists(modules))
        {
            error.WriteLine($"initramfs: kernel {kernel} needs both {vmlinuz} and {modules} (apt install linux-image-...)");
            return 1;
        }
        // Every password before the long work, so a short input fails before anything is written.
        var passwords = new List<string>();
        foreach (var machine in machines)
        {
            if (CredentialsCommand.ReadPassword(machine.Name, machine.User, input, interactive, error) is not { } password)
            {
                error.WriteLine($"initramfs: no password for {machine.Name} ({machine.User}): one line on standard input for each of the {machines.Count} machines, in the list's order");
                return 1;
            }
            if (CredentialsCommand.Problem(machine.User, machine.Domain, password) is { } problem)
            {
                error.WriteLine($"initramfs: {machine.Name}: {problem}");
                return 1;
            }
            passwords.Add(password);
        }

        string outDir = request.OutputDirectory;
        Directory.CreateDirectory(outDir);
        error.WriteLine($"initramfs: [1/3] the init, its libraries and the kernel modules for {kernel}");
        var archive = InitramfsBuilder.Assemble(new InitramfsInputs(init, modules, options.Layout, null, options.Selection, options.Mtime), error);
        error.WriteLine($"initramfs: [2/3] compressing with {options.Compression}");
        var compressing = new ProgressLine(error, $"compressing with {options.Compression}");
        AtomicFile.Replace(Path.Combine(outDir, "initramfs.img"), next =>
            InitramfsBuilder.Write(archive, next, options.Mtime, options.Compression, (done, total) => compressing.Report(done / 1048576.0, total / 1048576.0, "MiB")));
        AtomicFile.Replace(Path.Combine(outDir, "vmlinuz"), next => File.Copy(vmlinuz, next, overwrite: true));
        error.WriteLine(machines.Count == 0 ? "initramfs: [3/3] no --machines, so no credentials archives" : $"initramfs: [3/3] credentials archives for {machines.Count} machine(s)");
        string secrets = Path.Combine(outDir, "secrets");
        if (machines.Count > 0)
        {
            Directory.CreateDirectory(secrets);
            File.SetUnixFileMode(secrets, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        foreach (var (machine, password) in machines.Zip(passwords))
        {
            AtomicFile.Replace(Path.Combine(secrets, machine.Name + ".cpio"), next => CredentialsCommand.Write(machine.User, machine.Domain, password, next));
        }

        output.WriteLine($"initramfs: {outDir}/vmlinuz ({kernel}), {outDir}/initramfs.img ({new FileInfo(Path.Combine(outDir, "initramfs.img")).Length / 1024} KiB, {options.Compression}, no password in it)");
        foreach (var machine in machines) output.WriteLine($"  {outDir}/secrets/{machine.Name}.cpio (mode 0600): {machine.Name}'s login as {machine.User}");
        string example = machines.Count > 0 ? machines[0].Name : "NAME";
        output.WriteLine($"  each machine's boot entry: smbroot-admin boot-entry {example} --cmdline \"root=... ip=...\" --kernel vmlinuz --initrd initramfs.img" +
            (machines.Count > 0 ? $" --initrd secrets/{example}.cpio" : ""));
        return 0;
    }

    /// <summary>
    /// The site's smbroot-mkinitramfs options (SMBROOT_OPTIONS of the config, if there is one). The
    /// init, the modules and the output are this verb's; a credentials file is refused, since the
    /// site's initramfs is served to every machine.
    /// </summary>
    private static MkinitramfsOptions SiteOptions(string? configPath)
    {
        string? path = configPath ?? (File.Exists(SiteConfig.DefaultPath) ? SiteConfig.DefaultPath : null);
        if (path is null) return new MkinitramfsOptions();
        var options = MkinitramfsOptions.Parse(SiteConfig.Parse(File.ReadAllText(path), path).Options);
        if (options.Credentials is not null) throw new FormatException($"{path}: --credentials puts a password in the initramfs every machine fetches; list the machines with --machines instead (one archive each)");
        if (options.Init is not null || options.Modules is not null || options.Output is not null)
        {
            throw new FormatException($"{path}: --init, --modules and --output are this command's (--init, --kernel-version, OUTDIR); take them out of SMBROOT_OPTIONS");
        }
        return options;
    }

    /// <summary>The newest kernel with both its modules and its image, as build.sh and Debian's own tools pick one.</summary>
    public static string NewestKernel(string modulesRoot, string bootDirectory) =>
        (Directory.Exists(modulesRoot) ? Directory.GetDirectories(modulesRoot) : [])
            .Select(Path.GetFileName)
            .Where(version => File.Exists(Path.Combine(bootDirectory, $"vmlinuz-{version}")))
            .OrderDescending(KernelVersionOrder.Instance)
            .FirstOrDefault()
        ?? throw new FormatException($"no kernel with both {bootDirectory}/vmlinuz-VERSION and {modulesRoot}/VERSION; --kernel-version names one");
}
