using SmbRoot.Core.Plan;

namespace SmbRoot.Core.Admin;

/// <summary>
/// A machine's boot entries, for iPXE and for GRUB, with a kernel command line checked by the
/// parser the boot itself uses (<see cref="BootPlan"/>), so an entry that would fail at the
/// machine's console fails here instead.
/// </summary>
public static class BootEntry
{
    /// <summary>Characters GRUB's or iPXE's script language would take for its own (quotes, separators, escapes).</summary>
    private static readonly char[] ScriptCharacters = [';', '"', '\'', '\\', '`', '{', '}', '\n', '\r'];

    public sealed record Entries(string Ipxe, string Grub, string Plan);

    /// <param name="initrds">the initramfs, and any per-machine archive after it (a credentials cpio)</param>
    /// <exception cref="PlanException">the command line would not boot, or holds what a script would misread</exception>
    public static Entries Make(string name, string commandLine, string kernel, IReadOnlyList<string> initrds)
    {
        if (name.Length == 0 || name.IndexOfAny(ScriptCharacters) >= 0) throw new PlanException($"'{name}' cannot name a boot entry: no quotes, braces, ';' or '\\'");
        if (commandLine.IndexOfAny(ScriptCharacters) >= 0)
        {
            throw new PlanException("the command line holds a quote, brace, ';' or '\\', which GRUB's and iPXE's scripts read as their own; " +
                "the boot's keys need none of them");
        }
        var plan = BootPlan.Parse(KernelCommandLine.Parse(commandLine));
        string line = string.Join(' ', commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // iPXE on UEFI hands the kernel its initrds only when the command line names them (initrd=).
        string ipxeInitrds = string.Join(' ', initrds.Select(i => "initrd=" + i[(i.LastIndexOf('/') + 1)..]));
        string ipxe = "#!ipxe\n" +
            $"kernel {kernel} {ipxeInitrds} {line}\n" +
            string.Concat(initrds.Select(i => $"initrd {i}\n")) +
            "boot\n";
        string grub = $"menuentry \"SmbRoot: {name}\" {{\n" +
            $"    linux  {kernel} {line}\n" +
            $"    initrd {string.Join(' ', initrds)}\n" +
            "}\n";
        return new Entries(ipxe, grub, plan.Describe());
    }
}
