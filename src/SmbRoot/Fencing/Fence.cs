using Microsoft.Extensions.Logging;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Fencing;

/// <summary>
/// The machine stops writing to an image it may no longer own: an immediate reboot(2), with a
/// message on the console if the console takes it in time. No sync and no release: either could
/// block on the share, or write to an image another machine now holds. The unwritten data is lost;
/// the image stays consistent for the machine that takes it (its journal replays from what reached
/// the server).
/// </summary>
public static class Fence
{
    /// <summary>
    /// How long the message may take. A console write can block for ever (a serial line with flow
    /// control, Scroll Lock on a VT: drivers/tty/n_tty.c waits for room), and the logger's lock with it.
    /// </summary>
    private static readonly TimeSpan MessageGrace = TimeSpan.FromMilliseconds(200);

    public static void Now(ILogger log, string why, TimeSpan sinceProof) =>
        Stop(log, why, $"last proof of ownership {sinceProof.TotalSeconds:0} s ago; rebooting now, without writing anything more to the image");

    /// <summary>Says <paramref name="why"/> and what happens <paramref name="then"/> on the console, for at most <see cref="MessageGrace"/>, and reboots. Never returns.</summary>
    public static void Stop(ILogger log, string why, string then) => Stop(log, why, then, Sys.RebootNow);

    /// <summary>The same with the reboot given (the tests give one that records it).</summary>
    internal static void Stop(ILogger log, string why, string then, Action reboot)
    {
        try
        {
            var message = new Thread(() =>
            {
                try
                {
                    log.Error($"fencing: {why}");
                    log.Error($"fencing: {then}");
                }
                catch (Exception) { /* best effort: the reboot below is what matters */ }
            }) { IsBackground = true, Name = "fence message" };
            message.Start();
            message.Join(MessageGrace);
        }
        catch (Exception) { /* no thread for the message (out of memory): reboot without it */ }
        while (true)
        {
            try { reboot(); }
            catch (SysException) { /* tried again: nothing else may run */ }
            Thread.Sleep(100);
        }
    }
}
