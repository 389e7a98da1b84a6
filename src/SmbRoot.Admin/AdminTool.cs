using System.Globalization;

namespace SmbRoot.Admin;

/// <summary>The verbs and their options.</summary>
public static class AdminTool
{
    public const string Usage = """
        usage: smbroot-admin status DIR [--json] [--watch SECONDS]
               smbroot-admin release DIR IMAGE [--margin SECONDS] [--now --confirm HOST]
               smbroot-admin publish DIR IMAGE --pointer POINTER
               smbroot-admin rollback DIR --pointer POINTER
               smbroot-admin versions DIR --pointer POINTER
               smbroot-admin gc DIR --pointer POINTER [--keep N] [--delete]
               smbroot-admin layer reset|remove DIR LAYER [--margin SECONDS] [--now --confirm HOST]
               smbroot-admin credentials NAME --user USER [--domain DOMAIN] --output FILE   (the password on standard input)
               smbroot-admin boot-entry NAME --cmdline "root=... ip=..." [--kernel PATH] [--initrd PATH]...
               smbroot-admin initramfs OUTDIR [--kernel-version VERSION] [--config FILE] [--init BINARY] [--machines FILE]

        Works on a share's directory: on the file server itself, or a share mounted on this machine
        with cache=none (a holder record must be read from the server each time, not from the cache).

          status    every pointer and image: size, filesystem, golden (which pointers name it) or
                    read-write, and each read-write image's holder (host, MAC, address, boot time)
                    and whether it is live. Live means its record changed while this tool watched it,
                    on this machine's clock (two of its renewals and a second, or --watch); the
                    server's write times are never used. --json for a program to read.
          release   for an image whose machine is known dead: waits until its holder record has not
                    changed for the holder's deadline plus the margin (default 10 s), as a booting
                    machine would, then marks it released, so the next boot takes the image at once.
                    --now does not wait, and needs --confirm with the holder's host name.
          publish   points POINTER at IMAGE, a new version beside it: checks that IMAGE is a filesystem
                    SmbRoot boots, clean (e2fsck -fn, xfs_repair -n, btrfs check), not held read-write
                    and not what the pointer names already (a published image is never changed in
                    place), then writes the pointer's new content beside it and renames it over, so a
                    boot reads the old name or the new one. Running machines keep their version.
          rollback  points POINTER back at the version before (publish keeps them in POINTER.history).
          versions  the images beside POINTER, newest first: which is current, how far back the others are.
          gc        the images beside POINTER nothing needs: not named by a pointer, not among the last N
                    it named (--keep, default 1), never held read-write, and not open on this server
                    (a machine still running it: smbd holds it open). Lists them; --delete deletes them.
                    Only on the file server itself, where smbd's open files can be seen.
          layer     reset: a machine's persistent layer starts afresh at its next boot (what it holds is
                    lost); remove: the layer file goes. Either waits, as release does, until the
                    layer's holder is gone.
          credentials  machine NAME's own credentials archive: a cpio with /etc/smbroot/credentials
                    (mode 0600) to load after the initramfs as a second initrd. The password is read
                    from standard input (not shown at a terminal), never from the command line.
          boot-entry  the iPXE script and the GRUB entry that boot machine NAME with this command line,
                    after the boot's own parser has checked it (as smbroot --check-cmdline does);
                    --kernel and --initrd (default vmlinuz and initramfs.img; --initrd again for a
                    per-machine credentials archive) are paths or URLs as the boot loader reads them.
          initramfs what a boot server serves, in OUTDIR: vmlinuz (the newest kernel in /lib/modules and
                    /boot, or --kernel-version), initramfs.img with the site's options (SMBROOT_OPTIONS in
                    --config, default /etc/smbroot/mkinitramfs.conf, as the kernel hook uses them; no
                    password in it) and, for each line "NAME USER [DOMAIN]" of --machines, secrets/NAME.cpio
                    as the credentials verb makes it; the passwords are read first, one line each in the
                    list's order (asked for, not shown, at a terminal). The init is /usr/lib/smbroot/init or
                    --init. Each file is renamed over the old one, so a machine booting meanwhile fetches
                    one or the other whole. Says how far it is.
        IMAGE, LAYER and POINTER are paths in the share (machines/node7.img, layers/52-54-00-12-34-56.img, golden/current).
        """;

    /// <param name="input">where a password is read from (credentials)</param>
    /// <param name="interactive">the input is a terminal: prompt, and do not echo what is typed</param>
    public static int Run(string[] args, TextReader input, bool interactive, TextWriter output, TextWriter error)
    {
        var positional = new List<string>();
        bool json = false, now = false, delete = false;
        int keep = 1;
        string? confirm = null, pointer = null, commandLine = null, user = null, domain = null, outputPath = null;
        string? kernelVersion = null, config = null, init = null, machines = null;
        string kernel = "vmlinuz";
        var initrds = new List<string>();
        TimeSpan? watch = null;
        var margin = TimeSpan.FromSeconds(Core.Fencing.FencingPolicy.DefaultMarginSeconds);
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--json": json = true; break;
                    case "--now": now = true; break;
                    case "--delete": delete = true; break;
                    case "--keep": keep = Count(Next(), "--keep"); break;
                    case "--confirm": confirm = Next(); break;
                    case "--pointer": pointer = Next().TrimStart('/'); break;
                    case "--cmdline": commandLine = Next(); break;
                    case "--kernel": kernel = Next(); break;
                    case "--initrd": initrds.Add(Next()); break;
                    case "--user": user = Next(); break;
                    case "--domain": domain = Next(); break;
                    case "--output": outputPath = Next(); break;
                    case "--kernel-version": kernelVersion = Next(); break;
                    case "--config": config = Next(); break;
                    case "--init": init = Next(); break;
                    case "--machines": machines = Next(); break;
                    case "--watch": watch = Seconds(Next(), "--watch", 0); break;
                    case "--margin": margin = Seconds(Next(), "--margin", Core.Fencing.FencingPolicy.MinMarginSeconds); break;
                    case "-h" or "--help": output.Write(Usage); return 0;
                    case var option when option.StartsWith('-'): throw new ArgumentException($"unknown option {option}");
                    default: positional.Add(args[i]); break;
                }
            }
            return positional switch
            {
                ["status", var dir] => StatusCommand.Run(Share(dir), watch, json, output),
                ["release", var dir, var image] => ReleaseCommand.Run(Share(dir), image.TrimStart('/'), now, confirm, margin, output, error),
                ["publish", var dir, var image] => PointerCommands.Publish(Share(dir), image.TrimStart('/'), Pointer(pointer), output, error),
                ["rollback", var dir] => PointerCommands.Rollback(Share(dir), Pointer(pointer), output, error),
                ["versions", var dir] => PointerCommands.Versions(Share(dir), Pointer(pointer), output, error),
                ["layer", "reset" or "remove", var dir, var layer] => LayerCommands.Run(Share(dir), positional[1], layer.TrimStart('/'), now, confirm, margin, output, error),
                ["credentials", var name] => CredentialsCommand.Run(name, user, domain, outputPath, input, interactive, output, error),
                ["gc", var dir] => GcCommand.Run(Share(dir), Pointer(pointer), keep, delete, output, error),
                ["initramfs", var dir] => InitramfsCommand.Run(new InitramfsCommand.Request(dir, kernelVersion, config, init, machines), input, interactive, output, error),
                ["boot-entry", var name] => BootEntryCommand(name, commandLine, kernel, initrds.Count == 0 ? ["initramfs.img"] : initrds, output, error),
                _ => throw new ArgumentException(positional.Count == 0 ? "no verb" : $"'{string.Join(' ', positional)}' is not a verb with its arguments"),
            };
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"smbroot-admin: {e.Message}\n\n{Usage}");
            return 2;
        }
        catch (IOException e)
        {
            error.WriteLine($"smbroot-admin: {e.Message}");
            return 1;
        }
    }

    private static int BootEntryCommand(string name, string? commandLine, string kernel, IReadOnlyList<string> initrds, TextWriter output, TextWriter error)
    {
        try
        {
            var entries = Core.Admin.BootEntry.Make(name, commandLine ?? throw new ArgumentException("--cmdline is needed: the kernel command line"), kernel, initrds);
            output.Write($"# iPXE\n{entries.Ipxe}\n# GRUB (/etc/grub.d/40_custom, then update-grub)\n{entries.Grub}\n# the boot plan\n{entries.Plan}\n");
            return 0;
        }
        catch (Core.Plan.PlanException e)
        {
            error.WriteLine("boot-entry: the command line has problems:\n  " + e.Message.Replace("\n", "\n  "));
            return 1;
        }
    }

    private static string Pointer(string? pointer) => pointer ?? throw new ArgumentException("--pointer POINTER is needed: the pointer file's path in the share");

    private static ShareDirectory Share(string dir) =>
        Directory.Exists(dir) ? new ShareDirectory(dir) : throw new ArgumentException($"{dir} is not a directory");

    private static int Count(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count <= 1000
            ? count
            : throw new ArgumentException($"{option} {text}: expected a count from 0 to 1000");

    private static TimeSpan Seconds(string text, string option, int least) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds >= least && seconds <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{option} {text}: expected whole seconds from {least} to 3600");
}
