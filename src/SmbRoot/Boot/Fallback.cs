using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Boot;

/// <summary>
/// What happens when the boot cannot go on: the rescue shell (rd.shell, when the initramfs has one)
/// or a prompt on the console. PID 1 never exits: each path ends in a retry or a reboot.
/// </summary>
public static class Fallback
{
    private const string ShellPath = "/bin/sh";

    public enum Choice { Retry, Reboot, PowerOff }

    public static Choice AfterFailure(BootContext? context, bool shellRequested)
    {
        var log = context?.Log ?? Program.Log;
        bool haveShell = Sys.Exists(ShellPath);
        if (shellRequested && haveShell)
        {
            RunShell(log, "the boot failed; exit the shell to try again");
            return Choice.Retry;
        }
        if (shellRequested) log.Warn($"rd.shell: there is no {ShellPath} in this initramfs");
        return Prompt(log, haveShell);
    }

    /// <summary>rd.break: stop, let the person at the console look around, then go on.</summary>
    public static void Break(BootContext context, string where)
    {
        if (Sys.Exists(ShellPath))
        {
            RunShell(context.Log, $"rd.break={where}: exit the shell to continue the boot");
            return;
        }
        context.Log.Say($"rd.break={where}: stopped. Press Enter to continue the boot.");
        ReadLine();
    }

    private static Choice Prompt(Microsoft.Extensions.Logging.ILogger log, bool haveShell)
    {
        while (true)
        {
            log.Say("Type r and Enter to retry the boot, b to reboot, p to power off" + (haveShell ? ", s for a shell" : "") + ".");
            string? line = ReadLine();
            if (line is null)
            {
                // No one can type at this console; try again later rather than spin or sit forever.
                log.Say("no input on the console; retrying the boot in 60s");
                Thread.Sleep(TimeSpan.FromSeconds(60));
                return Choice.Retry;
            }
            switch (line.Trim().ToLowerInvariant())
            {
                case "r": return Choice.Retry;
                case "b": return Choice.Reboot;
                case "p": return Choice.PowerOff;
                case "s" when haveShell: RunShell(log, "exit the shell to return to this prompt"); break;
            }
        }
    }

    private static void RunShell(Microsoft.Extensions.Logging.ILogger log, string why)
    {
        log.Say($"starting {ShellPath}: {why}");
        int child = Sys.Spawn(ShellPath, [ShellPath], ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "TERM=linux", "PS1=smbroot# "]);
        Sys.WaitPid(child);
    }

    /// <summary>One line from the console, or null at end of input.</summary>
    private static string? ReadLine()
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int n;
            try { n = Sys.Read(0, one, "console"); }
            catch (SysException) { return null; }
            if (n == 0) return line.Count > 0 ? System.Text.Encoding.UTF8.GetString(line.ToArray()) : null;
            if (one[0] == '\n') return System.Text.Encoding.UTF8.GetString(line.ToArray());
            line.Add(one[0]);
        }
    }
}
