namespace SmbRoot.Core.Shutdown;

/// <summary>
/// How the machine ends once the root is released: the reboot(2) command the final stage makes.
/// <see cref="Kexec"/> starts the kernel loaded for it (kexec_file_load(2), systemd's kexec.target)
/// without the firmware: a reboot where none is loaded (<see cref="ShutdownVerbs.Final"/>).
/// </summary>
public enum ShutdownVerb { Reboot, PowerOff, Halt, Kexec }

public static class ShutdownVerbs
{
    public static string Name(this ShutdownVerb verb) => verb switch
    {
        ShutdownVerb.Reboot => "reboot",
        ShutdownVerb.PowerOff => "poweroff",
        ShutdownVerb.Kexec => "kexec",
        _ => "halt",
    };

    public static ShutdownVerb? Parse(string word) => word switch
    {
        "reboot" => ShutdownVerb.Reboot,
        "poweroff" => ShutdownVerb.PowerOff,
        "halt" => ShutdownVerb.Halt,
        "kexec" => ShutdownVerb.Kexec,
        _ => null,
    };

    /// <summary>
    /// What the final stage does for <paramref name="verb"/>, given /sys/kernel/kexec_loaded
    /// (sysfs-kernel, kernel/ksysfs.c): a kexec with no kernel loaded would fail, so it reboots,
    /// and <paramref name="note"/> says why.
    /// </summary>
    public static ShutdownVerb Final(this ShutdownVerb verb, bool kexecLoaded, out string? note)
    {
        note = verb == ShutdownVerb.Kexec && !kexecLoaded
            ? "kexec was asked for, but no kernel is loaded for it (/sys/kernel/kexec_loaded is 0): rebooting through the firmware"
            : null;
        return note is null ? verb : ShutdownVerb.Reboot;
    }
}
