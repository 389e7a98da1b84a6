using Microsoft.Extensions.Logging.Abstractions;
using SmbRoot.Boot;

namespace SmbRoot;

/// <summary>
/// The initramfs's /sbin/modprobe (a link to /init). The kernel runs it as
/// <c>/sbin/modprobe -q -- NAME</c> when it wants a module it does not have (kernel/module/kmod.c,
/// call_modprobe): crypto templates such as <c>crypto-ctr</c> while cifs negotiates encryption, or
/// <c>fs-xfs</c>. Only that form is served; it is not a general modprobe.
/// </summary>
public static class ModprobeHelper
{
    public static bool IsInvokedAsModprobe(string[] commandLine) =>
        commandLine.Length > 0 && Path.GetFileName(commandLine[0]) == "modprobe";

    public static int Run(string[] args)
    {
        var names = args.SkipWhile(a => a.StartsWith('-') && a != "--").SkipWhile(a => a == "--").ToArray();
        if (names.Length == 0 || names.Any(n => n.StartsWith('-')))
        {
            Console.Error.WriteLine("modprobe (smbroot): only the kernel's form '-q -- NAME' is supported");
            return 2;
        }
        try
        {
            string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            new ModuleLoader(NullLogger.Instance, release).Load(names);
            return 0;
        }
        catch (Exception e) when (e is BootException or IOException or UnauthorizedAccessException)
        {
            // The kernel only looks at the exit status; the caller reports the missing feature itself.
            return 1;
        }
    }
}
