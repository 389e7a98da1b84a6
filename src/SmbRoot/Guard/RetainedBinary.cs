using SmbRoot.Core.State;

namespace SmbRoot.Guard;

/// <summary>
/// This binary as the retained ramdisk holds it. From the system's root it cannot be run by
/// path: its ELF interpreter (/lib64/ld-linux-x86-64.so.2) would be the system's, which a static
/// busybox root does not even have. So it is started through the ramdisk's own loader, with the
/// ramdisk's libraries (ld.so(8): --library-path, --argv0).
/// </summary>
public static class RetainedBinary
{
    public const string Path = RetainedRamdisk.MountPoint + "/shutdown";
    public const string Loader = RetainedRamdisk.MountPoint + "/lib64/ld-linux-x86-64.so.2";
    public const string Libraries = RetainedRamdisk.MountPoint + "/lib/x86_64-linux-gnu";
    public const string ClientWrapper = RetainedRamdisk.MountPoint + "/init";

    public static string[] Command(string argv0, params string[] args) =>
        [Loader, "--library-path", Libraries, "--argv0", argv0, Path, .. args];

    /// <summary>The <c>init</c> client for the system's users: a two-line script, since the system has a shell.</summary>
    public static string ClientScript() =>
        "#!/bin/sh\n# SmbRoot's control client: init status | init relinquish [--poweroff|--reboot|--halt] [--timeout SECONDS]\n" +
        "exec " + string.Join(' ', Command("init")) + " \"$@\"\n";
}
