using System.Globalization;
using Microsoft.Extensions.Logging;
using SmbRoot.Core.Kernel;
using SmbRoot.Guard;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Handoff;

/// <summary>
/// The handoff helper's twin, so that killing the helper (an administrator's kill -9 of a process
/// they do not know) does not take the fence away on a machine without a watchdog. The helper keeps
/// one twin running: a second @smbroot-holder with copies of the holder file and the watchdog, and
/// the read end of a pipe whose only write end is the helper's. When the helper ends, however it
/// ends, the kernel closes that end and the twin's read returns end-of-file (pipe(7)); the twin
/// then becomes the helper, fencing from the last proof the helper wrote (<see cref="HolderHelper.Hold"/>
/// reads it), and starts a twin of its own. Only both killed at once take the fence away.
/// </summary>
public static class HolderTwin
{
    public const string Command = "--hold-twin";
    private static readonly TimeSpan RestartPause = TimeSpan.FromSeconds(1);

    /// <summary>The helper's main thread: keeps a twin running for as long as the helper lives.</summary>
    public static void KeepOne(IReadOnlyList<string> helperArguments, ILogger log)
    {
        while (true)
        {
            try
            {
                var (readEnd, writeEnd) = Sys.Pipe("the holder helper's twin");
                try
                {
                    int twin;
                    int inherited = Sys.Duplicate(readEnd); // dup(2) clears close-on-exec: the twin's copy, and the only one
                    try
                    {
                        twin = Sys.Spawn(RetainedBinary.Path, [HolderHelper.ProcessName, Command, inherited.ToString(CultureInfo.InvariantCulture),
                            .. helperArguments], ["TERM=linux"]);
                    }
                    finally
                    {
                        Sys.Close(inherited);
                        Sys.Close(readEnd);
                    }
                    Sys.WaitPid(twin);
                }
                finally
                {
                    Sys.Close(writeEnd);
                }
                log.Warn("holder helper: its twin ended; starting another");
            }
            catch (SysException e)
            {
                log.Warn($"holder helper: cannot keep a twin ({e.Message}); trying again");
            }
            Thread.Sleep(RestartPause);
        }
    }

    /// <summary>The twin's main: waits for the helper's end, then keeps the claim in its place.</summary>
    public static int Run(IReadOnlyList<string> args, ILogger log)
    {
        HolderHelper.ShowNameAlone();
        HolderHelper.KeepFromOomKiller(log);
        if (args.Count == 0 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out int readEnd))
        {
            log.Error($"holder helper's twin: unexpected arguments; usage: {Command} PIPE-FD HELPER-ARGUMENTS...");
            return 2;
        }
        Span<byte> buffer = stackalloc byte[1];
        while (true)
        {
            try
            {
                if (Sys.Read(readEnd, buffer, "the holder helper's pipe") == 0) break;
            }
            catch (SysException e) when (e.Errno == Errno.EINTR)
            {
            }
        }
        Sys.Close(readEnd);
        log.Warn($"holder helper: ended; its twin (pid {Sys.GetPid()}) keeps the claim from the last proof");
        return HolderHelper.Hold([.. args.Skip(1)], log);
    }
}
